// One order: its state in Chinese, tracking and timeline; pay, cancel, confirm receipt, ask
// for a refund, review what was bought, answer the satisfaction survey, complain.
const { call } = require("../../lib/retail");
const { ensureLogin, showError } = require("../../lib/session");
const { yuan, statusLabel, shanghaiTime } = require("../../lib/format");
const { payOrder, noticesFor, askSubscriptions } = require("../../lib/pay");
const { confirmAtWeChat, takeReturn } = require("../../lib/receipt");

Component({
  data: { order_id: "", order: null, error: null, reviewed: [], surveyed: null },
  methods: {
    // WeChat's own order notices open this page with merchant_trade_no (our order id, or a
    // sub-order's of a marketplace order) and the payment's ids added (set_msg_jump_path);
    // the shop's pages pass id.
    async onLoad(query = {}) {
      const id = query.id || orderIdOf(query.merchant_trade_no);
      this.setData({ order_id: id, surveyed: wx.getStorageSync(surveyKey(id)) || null });
      await ensureLogin().catch((error) => showError(this, error));
      return this.reload();
    },
    // Back from WeChat's receipt confirmation: a success is checked by the back end with
    // WeChat (order_confirm); anything else leaves the order as it was.
    async onShow() {
      const answer = takeReturn();
      if (answer && answer.status === "success" && this.data.order) {
        return this.confirmWithWeChat(answer.transaction_id);
      }
      return null;
    },
    async reload() {
      try {
        this.show(await call("order_get", { order_id: this.data.order_id }));
      } catch (error) {
        showError(this, error);
      }
    },
    show(order) {
      this.setData({
        order: {
          ...order,
          status_text: statusLabel(order.status),
          total_text: yuan(order.total),
          created_text: shanghaiTime(order.created_at),
          tracking: order.tracking.map((t) => ({ ...t, at_text: shanghaiTime(t.at) })),
          timeline: order.timeline.map((t) => ({ ...t, at_text: shanghaiTime(t.at), status_text: statusLabel(t.status) })),
          parcels: parcelsOf(order),
        },
      });
    },
    async act(name, data) {
      try {
        const answer = await call(name, data);
        await this.reload();
        return answer;
      } catch (error) {
        showError(this, error);
        return null;
      }
    },
    complain() {
      wx.navigateTo({ url: `/pages/feedback/feedback?order=${this.data.order_id}` });
    },
    async answerSurvey(event) {
      // The NPS question once the order is completed: how likely to recommend us, 0-10.
      // Asked once per order: the answer is remembered on the phone, and one the back end
      // already has (another phone) closes the question too.
      const data = { order_id: this.data.order_id, score: Number(event.currentTarget.dataset.score) };
      try {
        const answer = await call("survey_answer", data);
        this.setData({ surveyed: answer });
        wx.setStorageSync(surveyKey(data.order_id), answer);
        return answer;
      } catch (error) {
        if (error.reason === "ALREADY_ANSWERED") {
          this.setData({ surveyed: { order_id: data.order_id, score: null } });
          wx.setStorageSync(surveyKey(data.order_id), this.data.surveyed);
          return null;
        }
        showError(this, error);
        return null;
      }
    },
    openGroup() {
      wx.navigateTo({ url: `/pages/group/group?id=${this.data.order.group_id}` });
    },
    async pay() {
      try {
        await payOrder(this.data.order_id, noticesFor(this.data.order || {}));
      } catch (error) {
        showError(this, error.code ? error : { message: "支付未完成" });
      }
      return this.reload();
    },
    async cancel() {
      if (await confirmed("取消订单", "确定取消这个订单吗？")) return this.act("order_cancel", { order_id: this.data.order_id });
      return null;
    },
    async confirmReceipt() {
      if (!(await confirmed("确认收货", "确认已经收到商品了吗？"))) return null;
      return this.confirmWithWeChat(null);
    },
    // Where WeChat holds a payment still waiting for the buyer's word, its confirmation opens:
    // a marketplace order is a payment per merchant, each confirmed in turn; one just
    // confirmed but not yet known to WeChat is shown as an error, not opened again.
    async confirmWithWeChat(justConfirmed) {
      try {
        const answer = await call("order_confirm", { order_id: this.data.order_id });
        await this.reload();
        return answer;
      } catch (error) {
        const next = error.reason === "CONFIRM_AT_WECHAT" && error.details.transaction_id;
        if (next && next !== justConfirmed) return confirmAtWeChat(next);
        showError(this, error);
        return null;
      }
    },
    async refund(event) {
      const reason = (event && event.detail && event.detail.value) || "不想要了";
      if (!(await confirmed("申请退款", "确定申请退款吗？"))) return null;
      const asked = await this.act("refund_request", { order_id: this.data.order_id, reason });
      if (asked) await askSubscriptions(["refund_result"]);  // told when the money is back
      return asked;
    },
    async refundParcel(event) {
      const { merchant } = event.currentTarget.dataset;
      if (!(await confirmed("退这个包裹", "只退这个商家的商品，其余商品照常发货。确定吗？"))) return null;
      return this.act("refund_request", { order_id: this.data.order_id, reason: "不想要了", merchant_id: merchant });
    },
    async review(event) {
      const { sku, rating } = event.currentTarget.dataset;
      const done = await this.act("review_create", { order_id: this.data.order_id, sku_id: sku, rating: Number(rating), text: "" });
      if (done) this.setData({ reviewed: this.data.reviewed.concat([sku]) });
      return done;
    },
  },
});

// Our order id from a payment's merchant_trade_no: a marketplace order's sub-order is
// `<order id>S<n>` (one payment per merchant).
const SUB_ORDER = /^(O\d{12}[A-Z2-9]{10})S\d{1,2}$/;
function orderIdOf(tradeNo) {
  const matched = SUB_ORDER.exec(tradeNo || "");
  return matched ? matched[1] : tradeNo;
}

// An express order with goods of several merchants travels, and is refunded, by parcel.
function parcelsOf(order) {
  const merchants = [...new Set(order.lines.map((l) => l.merchant_id))];
  if (order.delivery !== "express" || merchants.length < 2) return [];
  const open = ["PAID", "SHIPPED", "COMPLETED"].includes(order.status);
  return merchants.map((m) => {
    const refund = (order.parcel_refunds || {})[m];
    const parcel = (order.parcels || {})[m];
    const state = refund ? (refund.status === "REFUNDED" ? "已退款" : "退款中") : parcel ? "已发货" : "待发货";
    return {
      merchant_id: m,
      titles: order.lines.filter((l) => l.merchant_id === m).map((l) => l.title).join("、"),
      state_text: state,
      refund_text: refund ? yuan(refund.amount - (refund.points_shortfall || 0)) : "",
      refundable: open && !refund,
    };
  });
}

function surveyKey(orderId) {
  return `surveyed:${orderId}`;
}

function confirmed(title, content) {
  return new Promise((resolve) =>
    wx.showModal({ title, content, success: (r) => resolve(Boolean(r.confirm)), fail: () => resolve(false) }));
}
