// Feedback: a complaint or a suggestion, about an order when opened from one; operators answer
// it in the console's ticket queue.
const { call } = require("../../lib/retail");
const { ensureLogin, showError } = require("../../lib/session");

Component({
  data: {
    order_id: null,
    kind: /** @type {import("../../lib/retail-api").feedback_create.Request["kind"]} */ ("suggestion"),
    text: "",
    ticket: null,
    error: null,
  },
  methods: {
    async onLoad(query = {}) {
      this.setData({ order_id: query.order || null, kind: query.order ? "complaint" : "suggestion" });
      await ensureLogin().catch((error) => showError(this, error));
    },
    chooseKind(event) {
      this.setData({ kind: event.currentTarget.dataset.kind });
    },
    onText(event) {
      this.setData({ text: event.detail.value });
    },
    async submit() {
      const { kind, text, order_id } = this.data;
      if (text.trim().length < 2) {
        showError(this, { code: "INVALID_ARGUMENT", message: "请写下具体的问题或建议" });
        return null;
      }
      try {
        const ticket = await call("feedback_create", { kind, text: text.trim(), order_id });
        this.setData({ ticket, error: null });
        wx.showToast({ title: "已提交", icon: "success" });
        return ticket;
      } catch (error) {
        showError(this, error);
        return null;
      }
    },
  },
});
