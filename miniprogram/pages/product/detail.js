// A product: its SKUs with stock, reviews, what goes with it; add to cart, buy now, or open a
// group at a deal's price (拼团); share it (the link carries the shopper's share code, and
// opening one rewards the inviter).
const { call } = require("../../lib/retail");
const { ensureLogin, track, openShare, showError } = require("../../lib/session");
const { yuan } = require("../../lib/format");

const PAGE = "pages/product/detail";

Component({
  data: {
    product: null,
    skus: [],
    deals: [],
    sku_id: "",
    qty: 1,
    reviews: [],
    rating: null,
    recommended: [],
    share: null,
    reward: null,
    error: null,
  },
  methods: {
    async onLoad(query = {}) {
      try {
        await ensureLogin();
        if (query.share) this.setData({ reward: await openShare(query.share) });
        const [product, reviews, recommended, share] = await Promise.all([
          call("catalog_product", { product_id: query.id }),
          call("review_list", { product_id: query.id }),
          call("recommend", { product_id: query.id, limit: 4 }),
          call("share_create", { product_id: query.id }),
        ]);
        const skus = product.skus.map((s) => ({ ...s, price_text: yuan(s.price), sold_out: s.stock <= 0 }));
        const first = skus.find((s) => !s.sold_out) || skus[0];
        const deals = product.group_deals.map((d) => ({ ...d, price_text: yuan(d.group_price) }));
        this.setData({
          product: { ...product, price_text: yuan(product.price) },
          skus,
          deals,
          sku_id: first ? first.sku_id : "",
          reviews: reviews.reviews,
          rating: reviews.average,
          recommended: recommended.items,
          share,
        });
        track([{ type: "product_view", product_id: query.id, page: PAGE }]);
      } catch (error) {
        showError(this, error);
      }
    },
    chooseSku(event) {
      this.setData({ sku_id: event.currentTarget.dataset.id, qty: 1 });
    },
    changeQty(event) {
      this.setData({ qty: Math.max(1, this.data.qty + Number(event.currentTarget.dataset.step)) });
    },
    async addToCart() {
      try {
        await call("cart_update", { sku_id: this.data.sku_id, qty: this.data.qty });
        track([{ type: "add_to_cart", product_id: this.data.product.product_id, page: PAGE }]);
        wx.showToast({ title: "已加入购物车", icon: "success" });
        return true;
      } catch (error) {
        showError(this, error);
        return false;
      }
    },
    async buyNow() {
      if (await this.addToCart()) wx.navigateTo({ url: "/pages/checkout/checkout" });
    },
    startGroup(event) {
      const deal = this.data.deals.find((d) => d.deal_id === event.currentTarget.dataset.deal);
      wx.navigateTo({ url: `/pages/checkout/checkout?deal=${deal.deal_id}&sku=${deal.sku_id}` });
    },
    openProduct(event) {
      wx.navigateTo({ url: `/pages/product/detail?id=${event.currentTarget.dataset.id}` });
    },
    onShareAppMessage() {
      const { product, share } = this.data;
      track([{ type: "share", product_id: product.product_id, page: PAGE }]);
      return { title: product.title, path: "/" + share.path };
    },
  },
});
