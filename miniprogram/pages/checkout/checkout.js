// Checkout: address (wx.chooseAddress), express / instant / pickup, the suggested coupon,
// points, group buying; then the order is placed and paid. An address chosen on the phone is
// sent to the back end only once the buyer has read and accepted the privacy policy and given
// the separate consent to share it with the merchant and the rider (pages/privacy/privacy):
// until then it stays on the phone, and the back end refuses it anyway (CONSENT_REQUIRED).
const { call } = require("../../lib/retail");
const { ensureLogin, track, showError } = require("../../lib/session");
const { yuan } = require("../../lib/format");
const { payOrder, noticesFor } = require("../../lib/pay");
const config = require("../../lib/config");

const PAGE = "pages/checkout/checkout";

Component({
  data: {
    items: [],
    delivery: /** @type {import("../../lib/retail-api").order_place.Request["delivery"]} */ ("express"),
    address: null,
    store_id: "",
    coupon_id: null,
    coupon_declined: false,
    points_available: 0,
    use_points: false,
    payable: 0,
    group: null,
    group_sku: "",
    preview: null,
    idempotency_key: "",
    order_id: null,
    consented: false,
    pending: /** @type {null | "address" | "order"} */ (null),
    held_address: null,
    error: null,
  },
  methods: {
    async onLoad(query = {}) {
      try {
        await ensureLogin();
        const me = await call("user_me", {});
        // A group order (from a product's deal or a shared group) is one unit of the deal's
        // SKU at the group price, whatever is in the cart.
        this.setData({
          group: query.deal ? { deal_id: query.deal, group_id: query.group || null } : null,
          group_sku: query.deal ? query.sku || "" : "",
        });
        await this.loadItems();
        this.setData({
          points_available: me.points,
          consented: me.consent.collecting && me.consent.share_contact,
          idempotency_key: `ck-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
        });
        track([{ type: "checkout_start", page: PAGE }]);
        await this.preview();
      } catch (error) {
        showError(this, error);
      }
    },
    async onShow() {
      if (this.data.pending) return this.backFromPrivacy();
      // Back from the stores page: the store chosen there is where the goods are picked up.
      const chosen = wx.getStorageSync("pickup_store");
      if (this.data.delivery === "pickup" && chosen && chosen !== this.data.store_id) {
        this.setData({ store_id: chosen });
        await this.loadItems();
        return this.refresh();
      }
      return null;
    },
    async loadItems() {
      // What can be bought is judged where this delivery takes the stock (the warehouse for
      // express, the store for pickup and instant), as order_place will.
      const d = this.data;
      if (d.group) return this.setData({ items: d.group_sku ? [{ sku_id: d.group_sku, qty: 1 }] : [] });
      const where = d.delivery === "express" || !d.store_id ? { delivery: d.delivery } : { delivery: d.delivery, store_id: d.store_id };
      const cart = await call("cart_list", where);
      this.setData({ items: cart.items.filter((l) => l.available).map((l) => ({ sku_id: l.sku_id, qty: l.qty })) });
    },
    request() {
      const d = this.data;
      const pickup = d.delivery === "pickup";
      return {
        items: d.items,
        delivery: d.delivery,
        address: pickup ? null : d.address,
        store_id: pickup ? d.store_id || null : null,
        coupon_id: d.coupon_id,
        // Points pay at most half of what is left to pay (the back end refuses more).
        points: d.use_points ? Math.min(d.points_available, Math.floor(d.payable / 2)) : 0,
        group: d.group,
      };
    },
    async preview() {
      const priced = await call("order_preview", this.request());
      // The back end's suggestion is taken until the shopper drops it: then it stays dropped.
      if (!this.data.coupon_id && !this.data.coupon_declined && priced.suggested_coupon_id) {
        this.setData({ coupon_id: priced.suggested_coupon_id });
        return this.preview();
      }
      this.setData({ preview: priceView(priced), payable: priced.total + priced.points_used, error: null });
      return priced;
    },
    refresh() {
      return this.preview().catch((error) => showError(this, error));
    },
    async chooseAddress() {
      const picked = await new Promise((resolve, reject) => wx.chooseAddress({ success: resolve, fail: reject }));
      const { errMsg, ...address } = picked;
      if (!this.data.consented) {
        // Kept on the phone until the buyer has agreed to what we do with it.
        this.setData({ held_address: address, pending: "address" });
        return askConsent();
      }
      this.setData({ address });
      return this.refresh();
    },
    async backFromPrivacy() {
      const pending = this.data.pending;
      const me = await call("user_me", {});
      const consented = me.consent.collecting && me.consent.share_contact;
      this.setData({ consented, pending: null });
      if (!consented) {
        this.setData({ held_address: null });
        return showError(this, { code: "FORBIDDEN", reason: "CONSENT_REQUIRED", message: "未同意隐私政策，无法使用收货地址下单" });
      }
      if (this.data.held_address) this.setData({ address: this.data.held_address, held_address: null });
      return pending === "order" ? this.placeOrder() : this.refresh();
    },
    async chooseDelivery(event) {
      const delivery = event.currentTarget.dataset.delivery;
      this.setData({ delivery });
      if (delivery === "instant") await this.locateAddress();
      if (delivery === "pickup" && !this.data.store_id) await this.nearestStore();
      await this.loadItems().catch((error) => showError(this, error));
      return this.refresh();
    },
    async locateAddress() {
      const here = await new Promise((resolve, reject) => wx.getLocation({ type: "gcj02", success: resolve, fail: reject }));
      if (this.data.address) this.setData({ address: { ...this.data.address, latitude: here.latitude, longitude: here.longitude } });
    },
    async nearestStore() {
      const chosen = wx.getStorageSync("pickup_store");
      if (chosen) return this.setData({ store_id: chosen });
      const here = await new Promise((resolve, reject) => wx.getLocation({ type: "gcj02", success: resolve, fail: reject }));
      const found = await call("store_nearby", { latitude: here.latitude, longitude: here.longitude, limit: 1 });
      return this.setData({ store_id: found.stores.length ? found.stores[0].store_id : "" });
    },
    togglePoints() {
      this.setData({ use_points: !this.data.use_points });
      return this.refresh();
    },
    dropCoupon() {
      this.setData({ coupon_id: null, coupon_declined: true });
      return this.refresh();
    },
    async placeOrder() {
      if (!this.data.items.length) {
        const message = this.data.group ? "拼团链接不完整，请从商品页发起拼团" : "购物车里没有可以购买的商品";
        showError(this, { code: "INVALID_ARGUMENT", message });
        return null;
      }
      try {
        const order = await call("order_place", { ...this.request(), idempotency_key: this.data.idempotency_key });
        this.setData({ order_id: order.order_id, error: null });
        await payOrder(order.order_id, noticesFor(order)).catch(() => wx.showToast({ title: "支付未完成，可在订单里继续支付", icon: "none" }));
        wx.redirectTo({ url: order.group_id ? `/pages/group/group?id=${order.group_id}` : `/pages/orders/detail?id=${order.order_id}` });
        return order;
      } catch (error) {
        if (error.reason === "CONSENT_REQUIRED") {
          // Withdrawn, or a new policy version since: read and accept it, then carry on.
          this.setData({ consented: false, pending: "order" });
          askConsent(error.details && error.details.policy_version);
          return null;
        }
        showError(this, error);
        return null;
      }
    },
  },
});

/** The privacy policy page, to read and accept (or not); onShow carries on from there. */
function askConsent(version = config.privacyVersion) {
  wx.navigateTo({ url: `/pages/privacy/privacy?version=${version}` });
  return null;
}

function priceView(priced) {
  return {
    ...priced,
    goods_text: yuan(priced.goods_amount),
    freight_text: yuan(priced.freight),
    discount_text: yuan(priced.discount + priced.member_discount + priced.points_used),
    total_text: yuan(priced.total),
  };
}
