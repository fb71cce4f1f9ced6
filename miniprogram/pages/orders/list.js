// The shopper's orders, by status tab, paged by the back end's cursor.
const { call } = require("../../lib/retail");
const { ensureLogin, showError } = require("../../lib/session");
const { yuan, statusLabel, shanghaiTime } = require("../../lib/format");

Component({
  data: {
    status: /** @type {import("../../lib/retail-api").order_list.Request["status"] | ""} */ (""),
    orders: [],
    cursor: null,
    has_more: false,
    error: null,
  },
  methods: {
    async onShow() {
      await ensureLogin().catch((error) => showError(this, error));
      return this.load(true);
    },
    async load(fresh) {
      try {
        const found = await call("order_list", {
          status: this.data.status || null,
          cursor: fresh ? null : this.data.cursor,
        });
        const rows = found.items.map(orderRow);
        this.setData({
          orders: fresh ? rows : this.data.orders.concat(rows),
          cursor: found.next_cursor,
          has_more: found.has_more,
        });
      } catch (error) {
        showError(this, error);
      }
    },
    onTab(event) {
      this.setData({ status: event.currentTarget.dataset.status || "" });
      return this.load(true);
    },
    onReachBottom() {
      return this.data.has_more ? this.load(false) : null;
    },
    open(event) {
      wx.navigateTo({ url: `/pages/orders/detail?id=${event.currentTarget.dataset.id}` });
    },
  },
});

function orderRow(order) {
  return {
    order_id: order.order_id,
    status: order.status,
    status_text: statusLabel(order.status),
    total_text: yuan(order.total),
    created_text: shanghaiTime(order.created_at),
    titles: order.lines.map((l) => l.title).join("、"),
  };
}
