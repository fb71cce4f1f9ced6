// A promoter is paid: a friend opens their share and buys, the order completes (receipt
// confirmed in WeChat's page), the commission is available on the promoter's page, and a
// withdrawal is confirmed in WeChat's transfer page (wx.requestMerchantTransfer) and arrives.
const { shopperNamed, openPage, text, chooseAddress, receiveAtWeChat } = require("./helpers");
const { asOperator } = require("./wx-shim");

test("a promoter earns from a friend's first order, withdraws it and confirms in WeChat", async () => {
  const promoter = shopperNamed("jest-promoter");
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: "p-mango" });
  const query = Object.fromEntries(new URLSearchParams(product.instance.onShareAppMessage().path.split("?")[1]));

  shopperNamed("jest-promoted-friend");
  const landing = openPage("pages/product/detail");
  await landing.instance.onLoad(query);
  expect(landing.data.reward.bound).toBe(true);
  await landing.instance.addToCart();
  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad({});
  await chooseAddress(checkout);
  const order = await checkout.instance.placeOrder();
  expect(checkout.data.error).toBeNull();
  expect((await asOperator("order_ship", { order_id: order.order_id, carrier: "SF", tracking_no: "SF6660000001" })).code).toBe("OK");
  const detail = openPage("pages/orders/detail");
  await detail.instance.onLoad({ id: order.order_id });
  await receiveAtWeChat(detail);
  expect(detail.data.order.status).toBe("COMPLETED");

  global.wx.state.openid = promoter;
  const page = openPage("pages/promoter/promoter");
  await page.instance.onLoad();
  expect(page.data.error).toBeNull();
  const earned = page.data.totals.available;
  expect(earned).toBe(Math.floor((order.total * page.data.rules.commission_bp) / 10000));
  expect(page.data.entries.map((e) => e.status)).toEqual(["AVAILABLE"]);
  expect(page.data.entries[0].order).not.toBe(order.order_id);  // masked
  expect(text(page, "#rules")).toMatch(/只计直接邀请的好友/);

  page.instance.onAmount({ detail: { value: (earned / 100).toFixed(2) } });
  const withdrawal = await page.instance.withdraw();
  expect(page.data.error).toBeNull();
  expect(withdrawal.status).toBe("WAIT_USER_CONFIRM");
  const confirm = wx.calls.filter((c) => c.api === "requestMerchantTransfer").pop().params;
  expect(confirm.package).toBe(withdrawal.package_info);
  expect(confirm.mchId).toBe(withdrawal.mch_id);
  expect(confirm.appId).toBe(withdrawal.app_id);
  await page.instance.reload();
  expect(page.data.totals.withdrawn).toBe(earned);  // WeChat Pay said so, by its notification
  expect(page.data.totals.available).toBe(0);
  expect(text(page, "#withdrawn")).toBe(`¥${(earned / 100).toFixed(2)}`);
});
