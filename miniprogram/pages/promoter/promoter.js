// The promoter's page under "me": commissions earned from invited friends' first orders
// (pending until the order completes, available after, reversed on a refund), what is on its
// way to the WeChat balance and what arrived, what is owed back, and the rules. Withdrawing
// asks WeChat Pay for a transfer the promoter confirms in WeChat's own page
// (wx.requestMerchantTransfer); the back end ends it on WeChat Pay's word, never the page's.
const { call } = require("../../lib/retail");
const { ensureLogin, showError } = require("../../lib/session");
const { yuan, shanghaiTime } = require("../../lib/format");

const ENTRY_STATUS = { PENDING: "待结算", AVAILABLE: "可提现", REVERSED: "已退回" };
const WITHDRAWAL_STATUS = {
  REVIEWING: "审核中，通过后到账",
  TRANSFERRING: "处理中",
  WAIT_USER_CONFIRM: "待确认收款",
  WITHDRAWN: "已到账",
};

Component({
  data: { totals: null, entries: [], rules: null, amount: "", withdrawal: null, error: null },
  methods: {
    async onLoad() {
      await ensureLogin().catch((error) => showError(this, error));
      return this.reload();
    },
    async reload() {
      try {
        const mine = await call("commission_mine", {});
        const t = mine.totals;
        this.setData({
          totals: {
            ...t,
            pending_text: yuan(t.pending),
            available_text: yuan(t.available),
            withdrawing_text: yuan(t.withdrawing),
            withdrawn_text: yuan(t.withdrawn),
            debt_text: yuan(t.debt),
          },
          entries: mine.entries.map((e) => ({
            ...e,
            amount_text: yuan(e.amount),
            status_text: ENTRY_STATUS[e.status] || e.status,
            at_text: shanghaiTime(e.created_at),
          })),
          rules: { ...mine.rules, min_text: yuan(mine.rules.withdraw_min_fen), percent: mine.rules.commission_bp / 100 },
        });
      } catch (error) {
        showError(this, error);
      }
    },
    onAmount(event) {
      this.setData({ amount: event.detail.value });
    },
    async withdraw() {
      const amount = Math.round(Number(this.data.amount) * 100);
      if (!(amount > 0)) {
        showError(this, { code: "INVALID_ARGUMENT", message: "请输入提现金额" });
        return null;
      }
      try {
        const withdrawal = await call("commission_withdraw", { amount });
        this.setData({ withdrawal: { ...withdrawal, status_text: WITHDRAWAL_STATUS[withdrawal.status] || withdrawal.status }, error: null });
        if (withdrawal.status === "WAIT_USER_CONFIRM") await confirmTransfer(withdrawal);
        await this.reload();
        return withdrawal;
      } catch (error) {
        showError(this, error);
        return null;
      }
    },
  },
});

/** WeChat's own page where the promoter confirms receiving the transfer (base library 3.3.0). */
function confirmTransfer(withdrawal) {
  return new Promise((resolve) => {
    wx.requestMerchantTransfer({
      mchId: withdrawal.mch_id,
      appId: withdrawal.app_id,
      package: withdrawal.package_info,
      success: resolve,
      fail: resolve,
    });
  });
}
