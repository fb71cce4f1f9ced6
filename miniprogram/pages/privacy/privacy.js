// The privacy policy, shown whole before the buyer accepts it: the version the back end asks
// for, and the separate consent to hand name, phone and address to the merchant and the rider
// (a box of its own, left unticked). Opened by the checkout before any address is sent.
const { call } = require("../../lib/retail");
const { showError } = require("../../lib/session");
const { policyOf } = require("../../lib/privacy-policy");
const config = require("../../lib/config");

Component({
  data: {
    version: "",
    policy: null,
    share: false,
    decided: "",
    error: null,
  },
  methods: {
    onLoad(query = {}) {
      const version = query.version || config.privacyVersion;
      const policy = policyOf(version);
      this.setData({ version, policy });
      if (!policy) showError(this, { code: "NOT_FOUND", message: `请更新小程序以阅读隐私政策 ${version} 版` });
    },
    toggleShare() {
      this.setData({ share: !this.data.share });
    },
    async accept() {
      if (!this.data.share) return null;
      try {
        const state = await call("consent_accept", { version: this.data.version, share_contact: true });
        this.setData({ decided: "已同意，返回继续下单" });
        wx.navigateBack({});
        return state;
      } catch (error) {
        showError(this, error);
        return null;
      }
    },
    decline() {
      this.setData({ decided: "您未同意，我们不会使用您的收货地址" });
      wx.navigateBack({});
    },
  },
});
