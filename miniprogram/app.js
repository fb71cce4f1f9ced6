// The sample shop: each page calls the cloud functions through lib/retail.js.
const config = require("./lib/config");
const { noteReturn } = require("./lib/receipt");

App({
  onLaunch() {
    wx.cloud.init({ env: config.cloudEnv, traceUser: true });
  },
  // Coming back from WeChat's receipt confirmation (lib/receipt.js): its answer is noted for
  // the order page, which asks the back end to check it with WeChat.
  onShow(options) {
    noteReturn(options);
  },
});
