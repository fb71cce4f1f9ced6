// Group buying (拼团): a shopper opens a group at the deal's price from checkout, a second
// joins it with the group id the first shares.
const { shopperNamed, openPage, text } = require("./helpers");

async function checkoutHoney(query) {
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: "p-honey" });
  await product.instance.addToCart();
  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad(query);
  await checkout.instance.chooseAddress();
  return checkout;
}

test("two shoppers buy honey at the group price in one group", async () => {
  shopperNamed("jest-group-a");
  const first = await checkoutHoney({ deal: "g-honey-3" });
  expect(first.data.preview.goods_amount).toBe(4800);
  expect(text(first, "#total")).toBe(`¥${(first.data.preview.total / 100).toFixed(2)}`);
  const opened = await first.instance.placeOrder();
  expect(first.data.error).toBeNull();
  expect(opened.group_id).toBeTruthy();

  shopperNamed("jest-group-b");
  const second = await checkoutHoney({ deal: "g-honey-3", group: opened.group_id });
  const joined = await second.instance.placeOrder();
  expect(second.data.error).toBeNull();
  expect(joined.group_id).toBe(opened.group_id);

  const { call } = require("../lib/retail");
  const group = await call("group_get", { group_id: opened.group_id });
  expect(group.size).toBe(3);
  expect(group.joined).toBe(2);
  expect(group.paid).toBe(2);
});
