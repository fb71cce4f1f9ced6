// Me: points, level, the coupons to use (and the new-user coupon to claim), feedback, and
// my data: the privacy consent withdrawn, an export, erasure.
const { call } = require("../../lib/retail");
const { ensureLogin, track, showError } = require("../../lib/session");
const { yuan, shanghaiTime } = require("../../lib/format");

const NEW_USER_COUPON = "c-new-user";

Component({
  data: { me: null, coupons: [], consent: null, exported: null, deleted: false, error: null },
  methods: {
    async onShow() {
      try {
        await ensureLogin();
        const [me, mine] = await Promise.all([call("user_me", {}), call("coupon_list", { status: "AVAILABLE" })]);
        this.setData({ me, coupons: mine.coupons.map(couponView) });
      } catch (error) {
        showError(this, error);
      }
    },
    async claimCoupon() {
      try {
        await call("coupon_claim", { template_id: NEW_USER_COUPON });
        track([{ type: "coupon_claim", page: "pages/me/me" }]);
        wx.showToast({ title: "领取成功", icon: "success" });
        return this.onShow();
      } catch (error) {
        showError(this, error);
        return null;
      }
    },
    openFeedback() {
      wx.navigateTo({ url: "/pages/feedback/feedback" });
    },
    openPromoter() {
      wx.navigateTo({ url: "/pages/promoter/promoter" });
    },
    async withdrawConsent() {
      const answer = await new Promise((resolve) =>
        wx.showModal({ title: "撤回隐私授权", content: "撤回后不再保存新的收货地址和电话，下单配送时会再次询问。确定撤回吗？", confirmText: "撤回", success: resolve, fail: () => resolve({ confirm: false }) }));
      if (!answer.confirm) return null;
      try {
        const consent = await call("consent_withdraw", {});
        this.setData({ consent });
        return consent;
      } catch (error) {
        showError(this, error);
        return null;
      }
    },
    async exportData() {
      try {
        const data = await call("user_export", {});
        this.setData({ exported: { orders: data.orders.length, collections: Object.keys(data.records).length } });
        wx.setClipboardData({ data: JSON.stringify(data) });
      } catch (error) {
        showError(this, error);
      }
    },
    async deleteAccount() {
      const answer = await new Promise((resolve) =>
        wx.showModal({ title: "注销账号", content: "将删除您的个人信息，订单记录匿名保留。此操作不可撤销。", confirmText: "注销", success: resolve, fail: () => resolve({ confirm: false }) }));
      if (!answer.confirm) return;
      try {
        await call("user_delete", { confirm: true });
        this.setData({ deleted: true, me: null, coupons: [] });
      } catch (error) {
        if (error.reason === "ORDERS_OPEN") {
          // Orders still on their way (or a refund under way) need the account: say which.
          wx.showModal({ title: "暂时无法注销", content: `以下订单完成后才能注销：${error.details.order_ids.join("、")}`, showCancel: false });
        }
        showError(this, error);
      }
    },
  },
});

/** "满¥50.00减¥8.00", "满¥50.00享9.95折（最多减¥20.00）", or "满¥50.00免运费"; with its expiry. */
function couponView(coupon) {
  const zhe = ((10000 - coupon.rate_bp) / 1000).toFixed(2).replace(/\.?0+$/, "");
  const off = {
    percent: `享${zhe}折（最多减${yuan(coupon.discount)}）`,
    free_shipping: "免运费",
  }[coupon.kind] || `减${yuan(coupon.discount)}`;
  const rule = coupon.threshold ? `满${yuan(coupon.threshold)}${off}` : off;
  return { ...coupon, rule_text: rule, expires_text: coupon.expires_at ? shanghaiTime(coupon.expires_at) : "" };
}
