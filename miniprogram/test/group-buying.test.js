// Group buying (拼团): a shopper opens a group from the product's deal, pays, and shares the
// group page; a friend opening the link joins it from there at the group price.
const { shopperNamed, openPage, navigatedTo, calledFunctions, text, chooseAddress } = require("./helpers");

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Checkout from the navigation the page made, then place (and pay in the sandbox). */
async function checkoutAndPlace() {
  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad(navigatedTo().query);
  await chooseAddress(checkout);
  const order = await checkout.instance.placeOrder();
  return { checkout, order };
}

test("a shopper opens a group from the deal, shares it, and a friend joins from the link", async () => {
  const leader = shopperNamed("jest-group-a");
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: "p-honey" });
  await product.instance.addToCart();  // the cart is not what a group order buys
  expect(text(product, "#deal-g-honey-3")).toContain("3人拼团 ¥48.00");
  product.querySelector("#start-group-g-honey-3").dispatchEvent("tap");
  await settle();
  expect(navigatedTo()).toEqual({ route: "pages/checkout/checkout", query: { deal: "g-honey-3", sku: "p-honey-1" } });

  const first = await checkoutAndPlace();
  expect(first.checkout.data.error).toBeNull();
  expect(first.checkout.data.items).toEqual([{ sku_id: "p-honey-1", qty: 1 }]);
  expect(first.checkout.data.preview.goods_amount).toBe(4800);
  expect(first.order.group_id).toBeTruthy();
  const landed = navigatedTo("redirectTo");
  expect(landed).toEqual({ route: "pages/group/group", query: { id: first.order.group_id } });

  const mine = openPage("pages/group/group");
  await mine.instance.onLoad(landed.query);
  expect(mine.data.error).toBeNull();
  expect(text(mine, "#status")).toBe("拼团中");
  expect(text(mine, "#progress")).toBe("1/3 人已参团，1 人已付款");
  expect(text(mine, "#left")).toBe("还差 2 人");
  expect(text(mine, "#mine")).toBeTruthy();
  expect(mine.querySelector("#join")).toBeFalsy();  // already in it
  const shared = mine.instance.onShareAppMessage();
  expect(shared.title).toBe("还差2人，¥48.00拼团");
  const [route, query] = shared.path.replace(/^\//, "").split("?");
  expect(route).toBe("pages/group/group");
  const opened = Object.fromEntries(new URLSearchParams(query));
  expect(opened).toEqual({ id: first.order.group_id, share: mine.data.share.share_code });

  shopperNamed("jest-group-b");
  const friend = openPage("pages/group/group");
  await friend.instance.onLoad(opened);
  expect(friend.data.error).toBeNull();
  expect(calledFunctions()).toContain("share_reward");
  expect(friend.data.group.mine).toBe(false);
  friend.querySelector("#join").dispatchEvent("tap");
  await settle();
  expect(navigatedTo().query).toEqual({ deal: "g-honey-3", sku: "p-honey-1", group: first.order.group_id });
  const second = await checkoutAndPlace();
  expect(second.checkout.data.error).toBeNull();
  expect(second.order.group_id).toBe(first.order.group_id);

  const { call } = require("../lib/retail");
  const group = await call("group_get", { group_id: first.order.group_id });
  expect([group.size, group.joined, group.paid, group.mine]).toEqual([3, 2, 2, true]);
  const detail = openPage("pages/orders/detail");
  await detail.instance.onLoad({ id: second.order.order_id });
  detail.querySelector("#group").dispatchEvent("tap");
  await settle();
  expect(navigatedTo()).toEqual({ route: "pages/group/group", query: { id: first.order.group_id } });
  expect(leader).not.toBe(global.wx.state.openid);
});
