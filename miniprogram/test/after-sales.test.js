// The rest of a shopper's pages against the back end: nearby stores, pickup checkout,
// cancel, shipping -> confirm -> review, refund, and "me" (coupon, export, erasure).
const { shopperNamed, openPage, navigatedTo, text, chooseAddress, privacyAsked, loadApp } = require("./helpers");
const { asOperator, post, platformCalls } = require("./wx-shim");
const { ownProduct } = require("./tidy");

async function buy(skus, delivery = "express") {
  for (const sku of [].concat(skus)) {
    const product = openPage("pages/product/detail");
    await product.instance.onLoad({ id: sku.replace(/-\d+$/, "") });
    await product.instance.addToCart();
  }
  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad({});
  if (delivery === "express") await chooseAddress(checkout);
  else await checkout.instance.chooseDelivery({ currentTarget: { dataset: { delivery } } });
  const order = await checkout.instance.placeOrder();
  expect(checkout.data.error).toBeNull();
  const detail = openPage("pages/orders/detail");
  await detail.instance.onLoad({ id: order.order_id });
  return detail;
}

test("nearby stores come nearest first and pickup uses the nearest", async () => {
  shopperNamed("jest-pickup");
  const stores = openPage("pages/stores/stores");
  await stores.instance.onLoad();
  const distances = stores.data.stores.map((s) => s.distance_m);
  expect(distances.length).toBeGreaterThan(0);
  expect(distances).toEqual([...distances].sort((a, b) => a - b));
  const detail = await buy("p-eggs-1", "pickup");
  expect(detail.data.order.delivery).toBe("pickup");
  expect(detail.data.order.store_id).toBe(stores.data.stores[0].store_id);
  expect(detail.data.order.pickup_code).toMatch(/^\d{6}$/);
  expect(privacyAsked()).toBe(0);  // no address, no consent asked
});

test("an unpaid order is cancelled after the shopper confirms", async () => {
  shopperNamed("jest-cancel");
  const detail = await buy("p-milk-1");
  wx.requestPayment = (params) => params.fail({ errMsg: "requestPayment:fail cancel" });
  expect(detail.data.order.status).toBe("PAID");
  const unpaid = openPage("pages/orders/detail");
  const again = await buy("p-bread-1");
  await unpaid.instance.onLoad({ id: again.data.order.order_id });
  expect(unpaid.data.order.status).toBe("PENDING_PAYMENT");
  await unpaid.instance.cancel();
  expect(unpaid.data.order.status).toBe("CANCELLED");
  expect(text(unpaid, "#status")).toBe("已取消");
});

test("a shipped order is confirmed in WeChat's component, reviewed, and its review shows on the product", async () => {
  shopperNamed("jest-review");
  const detail = await buy("p-tomato-1");
  const asked = wx.calls.filter((c) => c.api === "requestSubscribeMessage").pop().params;
  expect(asked.tmplIds).toEqual(["order-shipped", "refund-result"]);  // after paying: its notices
  const shipped = await asOperator("order_ship", { order_id: detail.data.order.order_id, carrier: "SF", tracking_no: "SF1234567890" });
  expect(shipped.code).toBe("OK");
  await detail.instance.reload();
  expect(text(detail, "#status")).toBe("已发货");
  // The shipped notice went to this buyer, who granted it, once.
  const notices = (await platformCalls("/cgi-bin/message/subscribe/send"))
    .filter((c) => c.body.touser === wx.state.openid);
  expect(notices.map((c) => c.body.template_id)).toEqual(["order-shipped"]);
  expect(notices[0].body.page).toBe(`pages/orders/detail?id=${detail.data.order.order_id}`);
  // WeChat holds the payment: the back end sends the buyer to WeChat's own confirmation.
  expect(await detail.instance.confirmReceipt()).toBe(true);
  const opened = wx.calls.filter((c) => c.api === "openBusinessView").pop().params;
  expect(opened.businessType).toBe("weappOrderConfirm");
  expect(opened.extraData).toEqual({ transaction_id: detail.data.order.transaction_id });
  // WeChat returns to the app with the result (App.onShow), then the page shows again.
  loadApp().onShow({ scene: 1038, referrerInfo: wx.state.returning });
  await detail.instance.onShow();
  expect(detail.data.error).toBeNull();
  expect(detail.data.order.status).toBe("COMPLETED");
  await detail.instance.review({ currentTarget: { dataset: { sku: "p-tomato-1", rating: "5" } } });
  expect(detail.data.error).toBeNull();
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: "p-tomato" });
  expect(product.data.reviews.map((r) => r.rating)).toContain(5);
});

test("a confirmation WeChat never had completes nothing, whatever App.onShow is told", async () => {
  shopperNamed("jest-forged-receipt");
  const detail = await buy("p-tomato-1");
  await asOperator("order_ship", { order_id: detail.data.order.order_id, carrier: "SF", tracking_no: "SF1234567891" });
  await detail.instance.reload();
  const app = loadApp();
  const forged = { appId: "wx1183b055aeec94d1", extraData: { status: "success", req_extradata: { transaction_id: detail.data.order.transaction_id } } };
  app.onShow({ scene: 1038, referrerInfo: forged });  // no confirmation happened at WeChat
  await detail.instance.onShow();
  expect(detail.data.order.status).toBe("SHIPPED");
  app.onShow({ scene: 1038, referrerInfo: { appId: "wx-someone-else", extraData: { status: "success" } } });
  expect(await detail.instance.onShow()).toBeNull();  // not WeChat's confirmation: ignored
});

test("one merchant's parcel is refunded alone and the rest of the order goes on", async () => {
  shopperNamed("jest-parcel");
  const detail = await buy(["p-mango-1", "p-eggs-1"]);  // m-huaxia and m-self
  expect(detail.data.order.status).toBe("PAID");
  expect(detail.data.order.parcels.map((p) => p.merchant_id).sort()).toEqual(["m-huaxia", "m-self"]);
  await detail.instance.refundParcel({ currentTarget: { dataset: { merchant: "m-self" } } });
  expect(detail.data.error).toBeNull();
  expect(detail.data.order.status).toBe("PAID");
  const eggs = detail.data.order.parcels.find((p) => p.merchant_id === "m-self");
  expect(eggs.state_text).toMatch(/退款/);
  expect(eggs.refundable).toBe(false);
  expect(detail.data.order.parcels.find((p) => p.merchant_id === "m-huaxia").refundable).toBe(true);
  expect(text(detail, "#parcel-m-self .parcel-state")).toMatch(/^退款/);
});

test("a paid order asks for a refund, and 'me' claims, exports and erases", async () => {
  shopperNamed("jest-me");
  const detail = await buy("p-rice-1");
  await detail.instance.refund();
  expect(["REFUNDING", "REFUNDED"]).toContain(detail.data.order.status);

  const me = openPage("pages/me/me");
  await me.instance.onShow();
  await me.instance.claimCoupon();
  expect(me.data.coupons.map((c) => c.template_id)).toContain("c-new-user");
  await me.instance.exportData();
  expect(me.data.exported.orders).toBe(1);
  if (detail.data.order.status === "REFUNDING") {
    // Erasure waits for the refund under way, and says which order it waits for.
    await me.instance.deleteAccount();
    expect(me.data.error.reason).toBe("ORDERS_OPEN");
    expect(me.data.error.details.order_ids).toEqual([detail.data.order.order_id]);
    await post(`/dev/refund/R${detail.data.order.order_id}/SUCCESS`, {});
  }
  await me.instance.deleteAccount();
  expect(me.data.deleted).toBe(true);
  expect(text(me, "#deleted")).toBe("账号已注销");
  expect(navigatedTo("redirectTo").route).toBe("pages/orders/detail");
});

test("instant delivery books the nearest store within reach of the shopper's location", async () => {
  shopperNamed("jest-instant");
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: "p-mango" });
  await product.instance.addToCart();
  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad({});
  await chooseAddress(checkout);
  await checkout.instance.chooseDelivery({ currentTarget: { dataset: { delivery: "instant" } } });
  expect(checkout.data.error).toBeNull();
  expect(checkout.data.address.latitude).toBe(25.04);
  expect(checkout.data.preview.delivery).toBe("instant");
  expect(checkout.data.preview.distance_m).toBeLessThanOrEqual(5000);
  const order = await checkout.instance.placeOrder();
  expect(order.delivery).toBe("instant");
  expect(order.store_id).toBe(checkout.data.preview.store_id);
});

test("goods sold out in the warehouse but stocked at the store can be picked up", async () => {
  shopperNamed("jest-store-stock");
  const { product_id: productId, sku_id: skuId } = await ownProduct("jest-pomegranate", { central: 0, atStores: 5 });
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: productId });
  await product.instance.addToCart();
  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad({});
  expect(checkout.data.items).toEqual([]);  // express: nothing in the warehouse
  await checkout.instance.chooseDelivery({ currentTarget: { dataset: { delivery: "pickup" } } });
  expect(checkout.data.items).toEqual([{ sku_id: skuId, qty: 1 }]);  // the store has it
  const order = await checkout.instance.placeOrder();
  expect(checkout.data.error).toBeNull();
  const detail = openPage("pages/orders/detail");
  await detail.instance.onLoad({ id: order.order_id });
  expect(detail.data.order.delivery).toBe("pickup");
  expect(detail.data.order.lines.map((l) => l.sku_id)).toEqual([skuId]);
});

test("WeChat's own order notice opens the order by its merchant_trade_no", async () => {
  shopperNamed("jest-notice");
  const bought = await buy("p-milk-1");
  const opened = openPage("pages/orders/detail");
  // What WeChat adds to the jump path set with set_msg_jump_path (docs/decisions/0020).
  const order_id = bought.data.order.order_id;
  await opened.instance.onLoad({ transaction_id: "4200000000", merchant_id: "1900000109", merchant_trade_no: order_id });
  expect(opened.data.error).toBeNull();
  expect(opened.data.order.order_id).toBe(order_id);
  // A marketplace order's notice names one merchant's sub-order of its combined payment.
  const sub = openPage("pages/orders/detail");
  await sub.instance.onLoad({ transaction_id: "4200000001", merchant_id: "1900000109", merchant_trade_no: `${order_id}S2` });
  expect(sub.data.error).toBeNull();
  expect(sub.data.order.order_id).toBe(order_id);
});
