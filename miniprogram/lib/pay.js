// @ts-check
// Paying an order: payment_prepay gives wx.requestPayment its signed parameters; WeChat Pay
// then tells the back end (payment_notify), never the app. Afterwards the shopper is asked
// for the subscribe messages (shipping notice), which subscribe_accept records.
"use strict";

const { call } = require("./retail");
const config = require("./config");

/** @param {string} orderId */
async function payOrder(orderId) {
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
  await askSubscriptions();
}

async function askSubscriptions() {
  const ids = config.subscribeTemplates;
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

module.exports = { payOrder, askSubscriptions };
