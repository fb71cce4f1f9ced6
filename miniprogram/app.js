// The sample shop: each page calls the cloud functions through lib/retail.js.
const config = require("./lib/config");

App({
  onLaunch() {
    wx.cloud.init({ env: config.cloudEnv, traceUser: true });
  },
});
