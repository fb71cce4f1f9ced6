// A SKU that sells out between the cart and the order: the checkout shows the back end's
// OUT_OF_STOCK error (its message, code and SKU), and no order is left behind.
const { shopperNamed, openPage, text, chooseAddress } = require("./helpers");
const { asOperator, post } = require("./wx-shim");
const { ownProduct } = require("./tidy");

test("checkout shows the back end's error when the SKU has sold out", async () => {
  const buyer = shopperNamed("jest-late");
  const { product_id: productId, sku_id: skuId } = await ownProduct("jest-walnut", { central: 3 });
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: productId });
  const stock = product.data.skus[0].stock;
  expect(stock).toBeGreaterThan(0);
  await product.instance.addToCart();

  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad({});
  await chooseAddress(checkout);
  expect(checkout.data.items).toEqual([{ sku_id: skuId, qty: 1 }]);
  // Someone else buys the last units while this shopper is on the checkout page.
  const drained = await asOperator("stock_adjust", {
    sku_id: skuId, location: "central", delta: -stock, reason: "jest: sold out",
  });
  expect(drained.code).toBe("OK");
  expect(drained.data.available).toBe(0);

  const order = await checkout.instance.placeOrder();
  expect(order).toBeNull();
  expect(checkout.data.error.code).toBe("OUT_OF_STOCK");
  const toast = global.wx.calls.filter((c) => c.api === "showToast").pop();
  expect(toast.params.title).toBe(checkout.data.error.message);
  expect(text(checkout, "#error")).toBe(checkout.data.error.message);

  expect(checkout.data.error.details.sku_id).toBe(skuId);
  const orders = await post("/fn/order_list", {}, { "X-Dev-Openid": buyer });
  expect(orders.data.items.filter((o) => o.status !== "FAILED")).toEqual([]);

  const cart = openPage("pages/cart/cart");
  await cart.instance.onShow();
  const line = cart.data.items.find((l) => l.sku_id === skuId);
  expect(line.available).toBe(false);
  expect(line.reason).toBeTruthy();
  expect(cart.dom.textContent).toContain(line.reason);

  const reshown = openPage("pages/product/detail");
  await reshown.instance.onLoad({ id: productId });
  expect(reshown.data.skus[0].sold_out).toBe(true);
  expect(text(reshown, ".sku")).toContain("已售罄");
});
