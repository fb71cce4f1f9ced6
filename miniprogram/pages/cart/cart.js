// The cart as the back end prices it now (lines no longer available say why).
const { call } = require("../../lib/retail");
const { ensureLogin, track, showError } = require("../../lib/session");
const { yuan } = require("../../lib/format");

Component({
  data: { items: [], goods_amount_text: yuan(0), empty: true, error: null },
  methods: {
    async onShow() {
      try {
        await ensureLogin();
        this.show(await call("cart_list", {}));
      } catch (error) {
        showError(this, error);
      }
    },
    show(cart) {
      this.setData({
        items: cart.items.map((line) => ({ ...line, amount_text: yuan(line.amount) })),
        goods_amount_text: yuan(cart.goods_amount),
        empty: cart.items.length === 0,
      });
    },
    async changeQty(event) {
      const { id, qty } = event.currentTarget.dataset;
      try {
        this.show(await call("cart_update", { sku_id: id, qty: Math.max(0, Number(qty)) }));
      } catch (error) {
        showError(this, error);
      }
    },
    checkout() {
      track([{ type: "checkout_start", page: "pages/cart/cart" }]);
      wx.navigateTo({ url: "/pages/checkout/checkout" });
    },
  },
});
