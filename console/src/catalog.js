"use strict";

// The catalogue and promotions: products (title, prices, on sale or not), stock, coupon
// templates and ad slots. Money is typed in yuan and sent in fen; times are Asia/Shanghai.
const ID_PATTERN = "[A-Za-z0-9_:\\-]{1,64}";

function shanghaiIso(local) { return local ? `${local}:00+08:00` : null; }
/** A stored time as a datetime-local value in Asia/Shanghai ("2026-12-01T08:30"). */
function localShanghai(iso) { return iso ? shanghai(iso).replace(" ", "T") : undefined; }

const POSITION = { home_banner: "首页横幅", category_top: "分类页顶部" };
const SLOT_STATE = { LIVE: "投放中", STOPPED: "已停用", UPCOMING: "未开始", ENDED: "已结束" };
function slotState(slot) {
  const now = Date.now();
  if (!slot.active) { return "STOPPED"; }
  if (new Date(slot.starts_at).getTime() > now) { return "UPCOMING"; }
  return new Date(slot.ends_at).getTime() <= now ? "ENDED" : "LIVE";
}

Object.assign(PAGES, {
  async products() {
    const q = params();
    await loadMerchantNames();
    const found = await call("catalog_browse", { keyword: q.get("keyword") || null, page: pageNo(), page_size: PAGE_SIZE });
    // A merchant edits its own products only (product_save refuses the rest anyway).
    const mine = (sessionStorage.getItem("retail-role") || "").split(":")[1] || null;
    const editable = (p) => !mine || p.merchant_id === mine;
    const editing = q.get("edit");
    page.innerHTML = filters([{ name: "keyword", label: "商品名" }])
      + form("product-open", [{ name: "product_id", label: "商品 ID", pattern: ID_PATTERN, value: editing || "" }], "编辑")
      + `<div id="editor"></div>`
      + table("products-table", ["商品", "名称", "商户", "价格", "销量", "库存", "状态", ""], found.items.map((p) => [
        figure(`product-${p.product_id}`, p.price, p.product_id), esc(p.title), esc(merchantName(p.merchant_id)), yuan(p.price), p.sales,
        p.in_stock ? "有货" : "售罄", figure(`product-status-${p.product_id}`, p.status, label(p.status)),
        editable(p) ? `<a href="#/products?edit=${esc(p.product_id)}">编辑</a>` : ""])) + pager(found.has_more);
    bindFilters();
    bindPager();
    page.querySelector('form[data-testid="product-open"]').onsubmit = (event) => {
      event.preventDefault();
      setParams({ edit: values(event.target).product_id });
    };
    if (editing) { await productEditor(editing); }
  },
  async coupons() {
    const found = await call("coupon_template_list", {});
    const rule = (t) => (t.kind === "free_shipping" ? "免运费" : t.kind === "percent"
      ? `${((10000 - t.rate_bp) / 1000).toFixed(2).replace(/\.?0+$/, "")}折，最多减${yuan(t.discount)}` : `减${yuan(t.discount)}`);
    page.innerHTML = `<h3>优惠券模板</h3>` + table("coupon-templates", ["模板", "名称", "规则", "已领 / 总量", "每人限领", "有效期", "防刷", "状态"],
      found.templates.map((t) => [
        figure(`template-${t.template_id}`, t.claimed, t.template_id), esc(t.title), (t.threshold ? `满${yuan(t.threshold)}` : "") + rule(t),
        `${t.claimed} / ${t.total_quota}`, t.per_user_limit, t.valid_days ? `领取后 ${t.valid_days} 天` : esc(shanghai(t.valid_until)),
        t.guarded ? "是" : "", t.status === "ACTIVE" ? "发放中" : "已暂停"]))
      + `<h3>新建优惠券模板</h3>` + form("coupon-save", [
      { name: "template_id", label: "模板 ID", pattern: ID_PATTERN },
      { name: "title", label: "名称", maxlength: 40 },
      { name: "discount", label: "减（元）", type: "number", min: "0.01", step: "0.01" },
      { name: "threshold", label: "满（元）", type: "number", min: "0", step: "0.01", value: "0" },
      { name: "total_quota", label: "总量", type: "number", min: "1", step: "1" },
      { name: "per_user_limit", label: "每人限领", type: "number", min: "1", step: "1", value: "1" },
      { name: "valid_days", label: "有效天数", type: "number", min: "1", max: "365", step: "1", value: "7" },
      { name: "guarded", label: "防刷（新号和同设备多号不可领）", type: "checkbox", value: false }], "保存");
    onForm("coupon-save", (d) => call("coupon_template_save", {
      template_id: d.template_id, title: d.title, discount: fen(d.discount), threshold: fen(d.threshold),
      total_quota: Number(d.total_quota), per_user_limit: Number(d.per_user_limit), valid_days: Number(d.valid_days), guarded: d.guarded,
    }), (d) => `保存优惠券「${d.title}」：满 ${d.threshold} 减 ${d.discount} 元，共 ${d.total_quota} 张？`,
    (d) => (fen(d.threshold) > 0 && fen(d.discount) >= fen(d.threshold) ? "优惠金额必须小于使用门槛（如满 50 减 10）" : null));
  },
  async ads() {
    const { start, end } = range();
    const names = await loadMerchantNames();
    const report = await call("ad_report", { start, end });
    const admin = sessionStorage.getItem("retail-role") === "admin";  // merchants see their report only
    const editing = report.slots.find((s) => s.slot_id === params().get("edit")) || null;
    const v = editing || { position: "home_banner", active: true };
    page.innerHTML = `<h3>${editing ? `编辑广告位 ${esc(editing.slot_id)}` : "广告位"}</h3>` + (!admin ? "" : form("ad-save", [
      { name: "slot_id", label: "广告位 ID", pattern: ID_PATTERN, value: v.slot_id },
      { name: "position", label: "位置", options: Object.entries(POSITION), value: v.position },
      { name: "category_id", label: "分类（分类页顶部）", pattern: ID_PATTERN, required: false, value: v.category_id || "" },
      { name: "merchant_id", label: "商户", options: Object.entries(names), value: v.merchant_id },
      { name: "product_id", label: "商品", pattern: ID_PATTERN, required: false, value: v.product_id || "" },
      { name: "title", label: "标题", maxlength: 60, value: v.title },
      { name: "image_key", label: "图片", maxlength: 200, placeholder: "ads/xxx.jpg", value: v.image_key },
      { name: "starts_at", label: "开始（北京时间）", type: "datetime-local", value: localShanghai(v.starts_at) },
      { name: "ends_at", label: "结束（北京时间）", type: "datetime-local", value: localShanghai(v.ends_at) },
      { name: "price", label: "价格（元）", type: "number", min: "0", step: "0.01", value: editing ? (editing.price / 100).toFixed(2) : undefined },
      { name: "active", label: "投放", type: "checkbox", value: v.active }], "保存"))
      + table("ads-table", ["广告位", "位置", "商户", "时段（北京时间）", "状态", "曝光", "点击", "点击率", "花费", ""], report.slots.map((s) => [
        figure(`ad-${s.slot_id}`, s.impressions, s.slot_id), esc(POSITION[s.position] || s.position), esc(merchantName(s.merchant_id)),
        `${esc(shanghai(s.starts_at))} 至 ${esc(shanghai(s.ends_at))}`, figure(`ad-state-${s.slot_id}`, slotState(s), SLOT_STATE[slotState(s)]),
        s.impressions, s.clicks, percent(s.ctr), yuan(s.price),
        !admin ? "" : `<a href="#/ads?edit=${esc(s.slot_id)}">编辑</a> `
          + `<button type="button" class="toggle-slot" data-id="${esc(s.slot_id)}">${s.active ? "停用" : "启用"}</button>`]));
    onForm("ad-save", (d) => call("ad_slot_save", {
      slot_id: d.slot_id, position: d.position, category_id: d.category_id || null, merchant_id: d.merchant_id,
      product_id: d.product_id || null, title: d.title, image_key: d.image_key,
      starts_at: shanghaiIso(d.starts_at), ends_at: shanghaiIso(d.ends_at), price: fen(d.price), active: d.active,
    }), (d) => {
      // Saving is by slot ID: say so when that copies the slot edited, or replaces another.
      if (editing && d.slot_id !== editing.slot_id) { return `另存为新广告位 ${d.slot_id}？${editing.slot_id} 保持不变。`; }
      const other = report.slots.find((s) => s.slot_id === d.slot_id);
      if (!editing && other) { return `广告位 ${d.slot_id} 已存在（商户 ${merchantName(other.merchant_id)}），覆盖它？`; }
      return null;
    }, (d) => {
      if (d.ends_at <= d.starts_at) { return "结束时间必须晚于开始时间"; }
      if ((d.position === "category_top") !== Boolean(d.category_id)) { return "分类页顶部的广告位需要填写分类，其他位置不填"; }
      return null;
    });
    const bySlot = Object.fromEntries(report.slots.map((s) => [s.slot_id, s]));
    onButton(".toggle-slot", (d) => {
      const { slot_id, position, category_id, merchant_id, product_id, title, image_key, starts_at, ends_at, price, active } = bySlot[d.id];
      return call("ad_slot_save", { slot_id, position, category_id, merchant_id, product_id, title, image_key, starts_at, ends_at, price, active: !active });
    }, (d) => (bySlot[d.id].active ? `停用广告位「${bySlot[d.id].title}」？顾客将不再看到它。` : null));
  },
});

// One product: title and SKU prices saved with product_save (the rest as it is), on sale or
// off with product_publish, stock received or written off with stock_adjust.
async function productEditor(productId) {
  const p = await call("catalog_product", { product_id: productId });
  const box = document.getElementById("editor");
  box.innerHTML = `<h3 data-testid="editing" data-value="${esc(p.product_id)}">${esc(p.title)}</h3>`
    + form("product-save", [{ name: "title", label: "名称", value: p.title, maxlength: 60 }].concat(p.skus.map((s) => (
      { name: `price:${s.sku_id}`, label: `${s.spec || s.sku_id} 价格（元）`, type: "number", min: "0.01", step: "0.01", value: (s.price / 100).toFixed(2) }))), "保存")
    + form("product-publish", [{ name: "on_sale", label: `${label(p.status)}，改为`, options: [["true", "上架"], ["false", "下架"]], value: String(p.status !== "ON_SALE") }], "提交")
    + table("stock-table", ["SKU", "规格", "总仓库存", "调整", "秒杀分桶"], p.skus.map((s) => [
      figure(`stock-${s.sku_id}`, s.stock, s.sku_id), esc(s.spec), s.stock,
      form(`stock-${s.sku_id}`, [
        { name: "delta", label: "数量（+入库 / -报损）", type: "number", step: "1" },
        { name: "reason", label: "原因", maxlength: 100 }], "调整"),
      form(`split-${s.sku_id}`, [
        { name: "buckets", label: "分桶数（1 = 不分）", type: "number", min: "1", max: "32", step: "1", value: String(s.stock_buckets) }],
        "设置")]))
    + (p.retired_skus.length ? `<h4>已停售 SKU（保存时未列出，不再销售，可用库存已报损）</h4>`
      + table("retired-skus", ["SKU", "规格", "原价", "停售时间"], p.retired_skus.map((s) => [
        esc(s.sku_id), esc(s.spec), yuan(s.price), esc(shanghai(s.retired_at))])) : "");
  onForm("product-save", (d) => call("product_save", {
    product_id: p.product_id, merchant_id: p.merchant_id, category_id: p.category_id, title: d.title, image: p.image || null,
    fresh: Boolean(p.fresh), membership: p.membership || null, presale: p.presale || null,
    skus: p.skus.map((s) => ({ sku_id: s.sku_id, spec: s.spec, price: fen(d[`price:${s.sku_id}`]), stock: s.stock,
      store_stock: s.store_stock, limit_per_buyer: s.limit_per_buyer })),
  }), (d) => `保存「${d.title}」的名称和价格？`);
  onForm("product-publish", (d) => call("product_publish", { product_id: p.product_id, on_sale: d.on_sale === "true" }),
    (d) => (d.on_sale === "true" ? `上架 ${p.title}？` : `下架 ${p.title}？顾客将看不到它。`));
  p.skus.forEach((s) => onForm(`stock-${s.sku_id}`,
    (d) => call("stock_adjust", { sku_id: s.sku_id, location: "central", delta: Number(d.delta), reason: d.reason }),
    (d) => `${s.sku_id} 总仓库存 ${Number(d.delta) > 0 ? "增加" : "减少"} ${Math.abs(Number(d.delta))}？`,
    (d) => (Number(d.delta) === 0 ? "调整数量不能为 0" : null)));
  p.skus.forEach((s) => onForm(`split-${s.sku_id}`,
    (d) => call("stock_split", { sku_id: s.sku_id, location: "central", buckets: Number(d.buckets) }),
    (d) => `${s.sku_id} 总仓库存分为 ${Number(d.buckets)} 个桶？秒杀期间下单分散到各桶，结束后改回 1。`));
}
