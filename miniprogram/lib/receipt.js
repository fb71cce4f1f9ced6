// Receipt confirmation through WeChat's own component. Where WeChat holds the payment until
// the buyer confirms receipt (trade management), order_confirm answers CONFIRM_AT_WECHAT with
// the payment's transaction_id; the app opens WeChat's confirmation (wx.openBusinessView,
// businessType weappOrderConfirm, base library 2.6.0+). WeChat hands the result back to
// App.onShow, whose referrerInfo comes from WeChat's confirmation app (wx1183b055aeec94d1)
// with extraData {status: success|fail|cancel, errormsg, req_extradata}; the order page then
// calls order_confirm again, and the back end completes the order only if WeChat's own record
// (get_order) says the buyer confirmed: this answer alone completes nothing.

const CONFIRMATION_APP = "wx1183b055aeec94d1";
// Kept in storage: App and the page may hold different instances of this module.
const RETURNED = "receipt:returned";

/**
 * Open WeChat's confirmation for a payment; resolves once WeChat opened it (or not).
 * @param {string} transactionId
 * @returns {Promise<boolean>}
 */
function confirmAtWeChat(transactionId) {
  return new Promise((resolve) => {
    wx.openBusinessView({
      businessType: "weappOrderConfirm",
      extraData: { transaction_id: transactionId },
      success: () => resolve(true),
      fail: () => resolve(false),
    });
  });
}

/**
 * App.onShow's options: keep what WeChat's confirmation answered, if it is that.
 * @param {{referrerInfo?: {appId?: string, extraData?: {status?: string, req_extradata?: {transaction_id?: string}}}} | undefined} options
 */
function noteReturn(options) {
  const info = (options && options.referrerInfo) || {};
  if (info.appId !== CONFIRMATION_APP) return;
  const extra = info.extraData || {};
  const asked = extra.req_extradata || {};
  wx.setStorageSync(RETURNED, { status: extra.status || "fail", transaction_id: asked.transaction_id || null });
}

/**
 * What WeChat's confirmation last answered, once (null if nothing since).
 * @returns {{status: string, transaction_id: string | null} | null}
 */
function takeReturn() {
  const answer = wx.getStorageSync(RETURNED) || null;
  wx.removeStorageSync(RETURNED);
  return answer;
}

module.exports = { CONFIRMATION_APP, confirmAtWeChat, noteReturn, takeReturn };
