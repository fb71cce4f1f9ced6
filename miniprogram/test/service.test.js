// After the sale: the satisfaction survey on a completed order, a complaint about it that
// reaches the operators' ticket queue; "me" lists the coupons to use and withdraws the
// privacy consent (the next delivery order asks again); the home share card follows the
// share-copy experiment.
const { shopperNamed, openPage, navigatedTo, text, chooseAddress, privacyAsked, receiveAtWeChat } = require("./helpers");
const { asOperator } = require("./wx-shim");
const { ownProduct } = require("./tidy");

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function checkout(sku) {
  const product = openPage("pages/product/detail");
  await product.instance.onLoad({ id: sku.replace(/-\d+$/, "") });
  await product.instance.addToCart();
  const page = openPage("pages/checkout/checkout");
  await page.instance.onLoad({});
  await chooseAddress(page);
  const order = await page.instance.placeOrder();
  expect(page.data.error).toBeNull();
  return order;
}

test("a completed order is scored and complained about, and the complaint reaches the operators", async () => {
  shopperNamed("jest-survey");
  const order = await checkout((await ownProduct("jest-walnut", { central: 5 })).sku_id);
  expect((await asOperator("order_ship", { order_id: order.order_id, carrier: "SF", tracking_no: "SF5550000001" })).code).toBe("OK");
  const detail = openPage("pages/orders/detail");
  await detail.instance.onLoad({ id: order.order_id });
  expect(detail.querySelector("#survey")).toBeFalsy();  // asked only once the order is completed
  await receiveAtWeChat(detail);
  expect(detail.data.order.status).toBe("COMPLETED");
  expect(detail.querySelector("#score-9")).toBeTruthy();
  await detail.instance.answerSurvey({ currentTarget: { dataset: { score: 9 } } });
  expect(detail.data.error).toBeNull();
  expect(detail.data.surveyed).toEqual({ order_id: order.order_id, score: 9 });
  expect(text(detail, "#surveyed")).toBe("感谢您的评价");
  const reopened = openPage("pages/orders/detail");
  await reopened.instance.onLoad({ id: order.order_id });
  expect(reopened.querySelector("#survey")).toBeFalsy();  // asked once

  detail.querySelector("#complain").dispatchEvent("tap");
  await settle();
  const opened = navigatedTo();
  expect(opened).toEqual({ route: "pages/feedback/feedback", query: { order: order.order_id } });
  const feedback = openPage("pages/feedback/feedback");
  await feedback.instance.onLoad(opened.query);
  expect(feedback.data.kind).toBe("complaint");
  await feedback.instance.submit();
  expect(feedback.data.error.code).toBe("INVALID_ARGUMENT");  // nothing written yet
  feedback.instance.onText({ detail: { value: "核桃有几颗是坏的" } });
  const ticket = await feedback.instance.submit();
  expect(feedback.data.error).toBeNull();
  expect(text(feedback, "#ticket")).toContain(ticket.ticket_id);
  const queue = await asOperator("feedback_queue", { status: "OPEN", limit: 200 });
  const found = queue.data.tickets.find((t) => t.ticket_id === ticket.ticket_id);
  expect([found.kind, found.order_id, found.text]).toEqual(["complaint", order.order_id, "核桃有几颗是坏的"]);
});

test("'me' lists the coupons to use, and a withdrawn consent is asked for again at checkout", async () => {
  shopperNamed("jest-consent");
  await checkout("p-eggs-1");
  expect(privacyAsked()).toBe(1);
  const me = openPage("pages/me/me");
  await me.instance.onShow();
  await me.instance.claimCoupon();
  expect(text(me, "#coupon-c-new-user")).toContain("满¥30.00减¥5.00");
  const consent = await me.instance.withdrawConsent();
  expect(consent.collecting).toBe(false);
  expect(text(me, "#consent-withdrawn")).toBeTruthy();
  await checkout("p-eggs-1");
  expect(privacyAsked()).toBe(2);
});

// The experiment is saved before the gateway serves anyone (tests/clients/test_miniprogram.py).
test("the home share card uses the shopper's arm of the share-copy experiment", async () => {
  shopperNamed("jest-copy");
  const home = openPage("pages/index/index");
  await home.instance.onLoad({});
  expect(home.data.error).toBeNull();
  const { call } = require("../lib/retail");
  const mine = await call("experiment_assign", {});
  expect(["好物分享", "我在这里买到了好价"]).toContain(mine.payloads["share-copy"].title);
  expect(home.instance.onShareAppMessage().title).toBe(mine.payloads["share-copy"].title);
});
