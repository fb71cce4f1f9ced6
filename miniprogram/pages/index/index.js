// Home: categories, search, sort, banner ads, recommendations; a shared link lands here too.
const { call } = require("../../lib/retail");
const { ensureLogin, track, openShare, showError, assignments } = require("../../lib/session");
const { yuan } = require("../../lib/format");

const PAGE = "pages/index/index";
const SHARE_COPY = "share-copy";
const DEFAULT_SHARE_TITLE = "新鲜好物，就在身边";

Component({
  data: {
    categories: [],
    category_id: "",
    keyword: "",
    sort: /** @type {import("../../lib/retail-api").catalog_browse.Request["sort"]} */ ("default"),
    items: [],
    page: 1,
    has_more: false,
    banners: [],
    recommended: [],
    share: null,
    share_title: DEFAULT_SHARE_TITLE,
    error: null,
  },
  methods: {
    async onLoad(query = {}) {
      try {
        await ensureLogin();
        if (query.share) await openShare(query.share);
        track([{ type: "page_view", page: PAGE }]);
        const [banners, recommended, share, arms] = await Promise.all([
          call("ad_list", { position: "home_banner" }),
          call("recommend", { limit: 6 }),
          call("share_create", {}),
          assignments(),
          this.load(1),
        ]);
        // The share card's words are an experiment (share-copy) when operators run one.
        const copy = (arms.payloads[SHARE_COPY] || {}).title || DEFAULT_SHARE_TITLE;
        this.setData({ banners: banners.slots, recommended: cards(recommended.items), share, share_title: copy });
      } catch (error) {
        showError(this, error);
      }
    },
    async load(page) {
      const found = await call("catalog_browse", {
        category_id: this.data.category_id || null,
        keyword: this.data.keyword || null,
        sort: this.data.sort,
        page,
      });
      const items = page === 1 ? cards(found.items) : this.data.items.concat(cards(found.items));
      const update = { items, page, has_more: found.has_more };
      if (found.categories.length) update.categories = found.categories;
      this.setData(update);
    },
    reload() {
      return this.load(1).catch((error) => showError(this, error));
    },
    onSearch(event) {
      this.setData({ keyword: (event.detail.value || "").trim() });
      return this.reload();
    },
    onSort(event) {
      this.setData({ sort: event.currentTarget.dataset.sort });
      return this.reload();
    },
    onCategory(event) {
      this.setData({ category_id: event.currentTarget.dataset.id || "" });
      return this.reload();
    },
    onReachBottom() {
      if (!this.data.has_more) return null;
      return this.load(this.data.page + 1).catch((error) => showError(this, error));
    },
    openBanner(event) {
      const slot = this.data.banners[event.currentTarget.dataset.index];
      track([{ type: "ad_click", slot_id: slot.slot_id, page: PAGE }]);
      if (slot.product_id) wx.navigateTo({ url: `/pages/product/detail?id=${slot.product_id}` });
    },
    openProduct(event) {
      wx.navigateTo({ url: `/pages/product/detail?id=${event.currentTarget.dataset.id}` });
    },
    onShareAppMessage() {
      track([{ type: "share", page: PAGE }]);
      const share = this.data.share;
      return { title: this.data.share_title, path: share ? "/" + share.path : "/" + PAGE };
    },
  },
});

function cards(items) {
  return items.map((item) => ({ ...item, price_text: yuan(item.price) }));
}
