// Me: points, level, coupons (and the new-user coupon to claim), my data: export, erasure.
const { call } = require("../../lib/retail");
const { ensureLogin, track, showError } = require("../../lib/session");
const { yuan } = require("../../lib/format");

const NEW_USER_COUPON = "c-new-user";

Component({
  data: { me: null, coupons: [], exported: null, deleted: false, error: null },
  methods: {
    async onShow() {
      try {
        await ensureLogin();
        const me = await call("user_me", {});
        this.setData({
          me,
          coupons: me.coupons.map((c) => ({ ...c, discount_text: yuan(c.discount), threshold_text: yuan(c.threshold) })),
        });
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
        showError(this, error);
      }
    },
  },
});
