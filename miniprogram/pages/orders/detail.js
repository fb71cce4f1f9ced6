// One order: its state in Chinese, tracking and timeline; pay, cancel, confirm receipt, ask
// for a refund, review what was bought.
const { call } = require("../../lib/retail");
const { ensureLogin, showError } = require("../../lib/session");
const { yuan, statusLabel, shanghaiTime } = require("../../lib/format");
const { payOrder } = require("../../lib/pay");

Component({
  data: { order_id: "", order: null, error: null, reviewed: [] },
  methods: {
    async onLoad(query = {}) {
      this.setData({ order_id: query.id });
      await ensureLogin().catch((error) => showError(this, error));
      return this.reload();
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
    async pay() {
      try {
        await payOrder(this.data.order_id);
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
      if (await confirmed("确认收货", "确认已经收到商品了吗？")) return this.act("order_confirm", { order_id: this.data.order_id });
      return null;
    },
    async refund(event) {
      const reason = (event && event.detail && event.detail.value) || "不想要了";
      if (await confirmed("申请退款", "确定申请退款吗？")) return this.act("refund_request", { order_id: this.data.order_id, reason });
      return null;
    },
    async review(event) {
      const { sku, rating } = event.currentTarget.dataset;
      const done = await this.act("review_create", { order_id: this.data.order_id, sku_id: sku, rating: Number(rating), text: "" });
      if (done) this.setData({ reviewed: this.data.reviewed.concat([sku]) });
      return done;
    },
  },
});

function confirmed(title, content) {
  return new Promise((resolve) =>
    wx.showModal({ title, content, success: (r) => resolve(Boolean(r.confirm)), fail: () => resolve(false) }));
}
