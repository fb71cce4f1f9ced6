// The coupon a shopper claimed is suggested at checkout and taken off the total; dropped, the
// total goes back; used on the order, it leaves the coupons to use. The home page shows
// recommendations with their prices.
const { shopperNamed, openPage, text, chooseAddress } = require("./helpers");

test("checkout suggests the claimed coupon, takes it off, and the order uses it", async () => {
  shopperNamed("jest-coupon");
  const home = openPage("pages/index/index");
  await home.instance.onLoad({});
  expect(home.data.recommended.length).toBeGreaterThan(0);
  expect(home.data.recommended.every((r) => /^¥\d+\.\d{2}$/.test(r.price_text))).toBe(true);

  const me = openPage("pages/me/me");
  await me.instance.onShow();
  await me.instance.claimCoupon();
  const [claimed] = me.data.coupons;
  expect(claimed.template_id).toBe("c-new-user");

  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: "p-mango" });
  await product.instance.changeQty({ currentTarget: { dataset: { step: "1" } } });
  await product.instance.addToCart();
  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad({});
  await chooseAddress(checkout);
  expect(checkout.data.coupon_id).toBe(claimed.coupon_id);
  expect(checkout.data.preview.discount).toBe(500);
  expect(checkout.data.preview.total).toBe(2 * 2990 + 800 - 500);
  await checkout.instance.dropCoupon();
  expect(checkout.data.preview.discount).toBe(0);
  expect(checkout.data.preview.total).toBe(2 * 2990 + 800);
  checkout.setData({ coupon_id: claimed.coupon_id });
  await checkout.instance.refresh();
  const order = await checkout.instance.placeOrder();
  expect(checkout.data.error).toBeNull();
  expect(order.total).toBe(2 * 2990 + 800 - 500);

  await me.instance.onShow();
  expect(me.data.coupons.map((c) => c.coupon_id)).not.toContain(claimed.coupon_id);
  expect(text(me, "#coupon-c-new-user")).toBeNull();
});
