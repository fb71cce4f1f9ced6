// @ts-check
// Paying an order: payment_prepay gives wx.requestPayment its signed parameters; WeChat Pay
// then tells the back end (payment_notify), never the app. Afterwards the shopper is asked
// for the notices this order can give (shipped or ready for pickup, a group's result, a
// refund's result: at most three templates per ask, as WeChat allows), which
// subscribe_accept records; each accepted template allows one message.
"use strict";

const { call } = require("./retail");
const config = require("./config");

/** @typedef {"shipped" | "pickup_ready" | "refund_result" | "group_result"} NoticeKind */

/**
 * The notices a paid order can give, by how it is delivered and whether it is a group's.
 * @param {{delivery?: string, group_id?: string | null}} order
 * @returns {NoticeKind[]}
 */
function noticesFor(order) {
  /** @type {NoticeKind[]} */
  const kinds = [order.delivery === "pickup" ? "pickup_ready" : "shipped"];
  if (order.group_id) kinds.push("group_result");
  kinds.push("refund_result");
  return kinds;
}

/**
 * @param {string} orderId
 * @param {NoticeKind[]} [kinds] the notices to ask for once paid
 */
async function payOrder(orderId, kinds = ["shipped", "refund_result"]) {
  const params = await call("payment_prepay", { order_id: orderId });
  await new Promise((resolve, reject) => {
    wx.requestPayment({
      timeStamp: params.timeStamp,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: /** @type {"RSA"} */ (params.signType),
      paySign: params.paySign,
      success: resolve,
      fail: reject,
    });
  });
  await askSubscriptions(kinds);
}

/** @param {NoticeKind[]} kinds */
async function askSubscriptions(kinds) {
  const ids = kinds.slice(0, 3).map((kind) => config.subscribeTemplates[kind]);
  /** @type {Record<string, string>} */
  const answer = await new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (result) => resolve(/** @type {any} */ (result)),
      fail: () => resolve({}),
    });
  });
  const accepted = ids.filter((id) => answer[id] === "accept");
  return accepted.length ? call("subscribe_accept", { accepted }) : null;
}

module.exports = { payOrder, askSubscriptions, noticesFor };
