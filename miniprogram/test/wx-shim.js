// A `wx` for tests: cloud.callFunction posts to the dev gateway (POST /fn/<name>, the
// shopper's openid in X-Dev-Openid, as CloudBase would set WX_OPENID), wx.requestPayment
// pays in the gateway's WeChat Pay sandbox, and the device APIs answer as a phone in
// Kunming would. Every call is recorded in `wx.calls` for the tests to look at.
const http = require("http");

const KUNMING = { latitude: 25.04, longitude: 102.71 };
const ADDRESS = {
  userName: "张三",
  telNumber: "13800001111",
  provinceName: "云南省",
  cityName: "昆明市",
  countyName: "五华区",
  detailInfo: "南屏街88号",
  postalCode: "650000",
  nationalCode: "530102",
  errMsg: "chooseAddress:ok",
};

function gateway() {
  const url = process.env.RETAIL_GATEWAY;
  if (!url) throw new Error("RETAIL_GATEWAY is not set: run these tests through pytest tests/clients");
  return new URL(url);
}

/** POST JSON to the gateway; resolves with the parsed answer. */
function post(path, body, headers = {}) {
  const base = gateway();
  const payload = Buffer.from(JSON.stringify(body || {}));
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: base.hostname, port: base.port, path, method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": payload.length, ...headers } },
      (response) => {
        const chunks = [];
        response.on("data", (c) => chunks.push(c));
        response.on("end", () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
          } catch (error) {
            reject(error);
          }
        });
      });
    request.on("error", reject);
    request.end(payload);
  });
}

/** What the back end sent to the local WeChat (the dev platform journal), by path prefix. */
function platformCalls(prefix) {
  const base = gateway();
  const path = `/dev/platform/calls?path=${encodeURIComponent(prefix)}`;
  return new Promise((resolve, reject) => {
    http.get({ host: base.hostname, port: base.port, path }, (response) => {
      const chunks = [];
      response.on("data", (c) => chunks.push(c));
      response.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")).data.calls));
    }).on("error", reject);
  });
}

/** An operator's call (X-Dev-Operator), for tests that set the shop up. */
function asOperator(name, data, operator = "jest:admin") {
  return post(`/fn/${name}`, data, { "X-Dev-Operator": operator });
}

/** Each shopper's own address and phone: the risk rules hold the fourth account a day
 * behind one address, as they should. */
function addressOf(openid) {
  let n = 0;
  for (const c of openid) n = (n * 31 + c.charCodeAt(0)) % 100000000;
  return { ...ADDRESS, telNumber: "138" + String(n).padStart(8, "0"), detailInfo: `南屏街${n % 1000}号${n}室` };
}

function later(callbacks, result, failed) {
  setTimeout(() => {
    if (failed) {
      if (callbacks.fail) callbacks.fail(result);
    } else if (callbacks.success) {
      callbacks.success(result);
    }
    if (callbacks.complete) callbacks.complete(result);
  }, 0);
}

function createWx(shopper) {
  const state = { openid: shopper.openid, scene: shopper.scene || 1001, storage: {}, prepaid: {}, transfers: {} };
  const calls = [];
  const record = (api, params) => calls.push({ api, params });
  const wx = {
    calls,
    state,
    cloud: {
      init: (params) => record("cloud.init", params),
      callFunction(params) {
        record("cloud.callFunction", params);
        post(`/fn/${params.name}`, params.data, { "X-Dev-Openid": state.openid }).then(
          (answer) => {
            if (params.name === "payment_prepay" && answer.code === "OK") {
              state.prepaid[answer.data.package] = params.data.order_id;
            }
            if (params.name === "commission_withdraw" && answer.code === "OK") {
              state.transfers[answer.data.package_info] = answer.data.withdrawal_id;
            }
            later(params, { result: answer, errMsg: "cloud.callFunction:ok" });
          },
          (error) => later(params, { errMsg: "cloud.callFunction:fail " + error.message }, true));
      },
    },
    requestPayment(params) {
      record("requestPayment", params);
      const orderId = state.prepaid[params.package];
      if (!orderId) return later(params, { errMsg: "requestPayment:fail unknown package" }, true);
      return post(`/dev/pay/${orderId}/succeed`, {}).then(
        (answer) => later(params, { errMsg: "requestPayment:" + (answer.code === "OK" ? "ok" : "fail") }, answer.code !== "OK"),
        (error) => later(params, { errMsg: "requestPayment:fail " + error.message }, true));
    },
    // WeChat's receipt confirmation (weappOrderConfirm): the buyer confirms in WeChat's own
    // page, which tells the local WeChat (POST /dev/wechat/confirm_receive); the result comes
    // back to App.onShow, which `wx.returnFromBusinessView` plays (a test calls it).
    openBusinessView(params) {
      record("openBusinessView", params);
      const id = (params.extraData || {}).transaction_id;
      if (params.businessType !== "weappOrderConfirm" || !id) {
        return later(params, { errMsg: "openBusinessView:fail invalid businessType or extraData" }, true);
      }
      state.returning = { appId: "wx1183b055aeec94d1", extraData: { status: "success", req_extradata: params.extraData } };
      return post(`/dev/wechat/confirm_receive/${id}`, {}).then(
        (answer) => later(params, { errMsg: "openBusinessView:" + (answer.code === "OK" ? "ok" : "fail") }, answer.code !== "OK"),
        (error) => later(params, { errMsg: "openBusinessView:fail " + error.message }, true));
    },
    // WeChat's page where the payee confirms a merchant transfer: confirming ends the bill
    // in the local WeChat Pay (POST /dev/transfer/<out_bill_no>/SUCCESS), which notifies.
    requestMerchantTransfer(params) {
      record("requestMerchantTransfer", params);
      const bill = state.transfers[params.package];
      if (!bill) return later(params, { errMsg: "requestMerchantTransfer:fail invalid package" }, true);
      return post(`/dev/transfer/${bill}/SUCCESS`, {}).then(
        (answer) => later(params, { errMsg: "requestMerchantTransfer:ok", result: answer.code === "OK" ? "success" : "fail" }),
        (error) => later(params, { errMsg: "requestMerchantTransfer:fail " + error.message }, true));
    },
    requestSubscribeMessage(params) {
      record("requestSubscribeMessage", params);
      const answer = { errMsg: "requestSubscribeMessage:ok" };
      params.tmplIds.forEach((id) => { answer[id] = "accept"; });
      later(params, answer);
    },
    getLocation: (params) => { record("getLocation", params); later(params, { ...KUNMING, errMsg: "getLocation:ok" }); },
    chooseAddress: (params) => { record("chooseAddress", params); later(params, addressOf(state.openid)); },
    showModal: (params) => { record("showModal", params); later(params, { confirm: shopper.confirms !== false, cancel: shopper.confirms === false }); },
    showToast: (params) => record("showToast", params),
    showLoading: (params) => record("showLoading", params),
    hideLoading: () => record("hideLoading", {}),
    navigateTo: (params) => record("navigateTo", params),
    redirectTo: (params) => record("redirectTo", params),
    switchTab: (params) => record("switchTab", params),
    navigateBack: (params) => record("navigateBack", params || {}),
    setClipboardData: (params) => { record("setClipboardData", params); later(params, {}); },
    getLaunchOptionsSync: () => ({ scene: state.scene, query: {} }),
    getStorageSync: (key) => state.storage[key] || "",
    setStorageSync: (key, value) => { state.storage[key] = value; },
    removeStorageSync: (key) => { delete state.storage[key]; },
  };
  return wx;
}

module.exports = { createWx, post, asOperator, platformCalls };
