// Built by `make console` (scripts/build_console.py --bundle) from console/src/: edit those files.
// --- src/lib.js
// Shared by every page: the operator call, human labels (Chinese states, Asia/Shanghai
// times, yuan), tables with paging, and forms that validate, confirm and show the back
// end's error. Every figure is also written with data-testid / data-value for the tests.
"use strict";

const API = window.RETAIL_API;
const TOKEN_KEY = "retail-operator-token";
const page = document.getElementById("page");
const charts = [];
const PAGE_SIZE = 20;

function token() { return sessionStorage.getItem(TOKEN_KEY); }

const ERRORS = {
  INVALID_ARGUMENT: "填写的内容不符合要求", UNAUTHENTICATED: "请重新登录", FORBIDDEN: "没有权限进行此操作",
  NOT_FOUND: "找不到对应的记录", OUT_OF_STOCK: "库存不足", CONFLICT: "当前状态不允许此操作", RATE_LIMITED: "操作过于频繁，请稍后再试",
  PAYLOAD_TOO_LARGE: "内容过大", UPSTREAM_UNAVAILABLE: "微信服务暂时不可用，请重试", UNAVAILABLE: "数据库暂时不可用，请重试",
  INTERNAL: "系统错误",
};
const REASONS = {
  PLATFORM_ONLY: "会员商品只能由平台自营商户上架", PICKUP_CODE_SHARED: "该自提码对应多个订单，请提供订单号",
  DAY_NOT_ENDED: "营业日尚未结束", PARCELS_WAITING: "还有包裹未发货",
};

async function call(name, data) {
  const response = await fetch(API + name, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + (token() || "") },
    body: JSON.stringify(data || {}),
  });
  const answer = await response.json();
  if (answer.code !== "OK") {
    if (answer.code === "UNAUTHENTICATED") { signOut(); }
    // Said in an operator's words first; the back end's own message after it, for support.
    const reason = (answer.details || {}).reason;
    const said = REASONS[reason] || ERRORS[answer.code] || "操作失败";
    const error = new Error(`${said}（${answer.code}: ${answer.message || ""}）`);
    error.code = answer.code;
    throw error;
  }
  return answer.data;
}

const STATUS = {
  RESERVING: "下单中", PENDING_PAYMENT: "待付款", PAID: "待发货", SHIPPED: "已发货", COMPLETED: "已完成",
  CANCELLED: "已取消", FAILED: "失败", REFUNDING: "退款中", REFUNDED: "已退款",
  OPEN: "待处理", RELEASED: "已放行", REJECTED: "已拒绝", IN_PROGRESS: "处理中", RESOLVED: "已解决", CLOSED: "已关闭",
  REQUESTED: "待审核", APPROVED: "已同意", ON_SALE: "在售", OFF_SALE: "已下架", ACTIVE: "生效", PAUSED: "暂停",
  PENDING: "待发起", PROCESSING: "退款中", SUCCESS: "已到账", ABNORMAL: "异常", DELIVERED: "已送达", WAITING: "待发货",
};
// Why WeChat's content checks hold a review (and how they judged a ticket's text).
const HELD = { RISKY: "违规", REVIEW: "待人工审核", UNCHECKED: "未能检测", PENDING: "图片检测中" };
// What operators did, by the function's name in the audit log.
const ACTIONS = {
  order_ship: "发货", refund_review: "退款审核", risk_review: "风控审核", order_pickup_verify: "自提核销",
  personal_data_viewed: "查看明文个人信息", product_save: "保存商品", product_publish: "上下架", merchant_save: "保存商户",
  coupon_template_save: "保存优惠券", review_moderate: "处理评价", feedback_update: "处理工单", blacklist_update: "黑名单",
};
function actionName(action) { return ACTIONS[action] || (action.startsWith("stock_adjust") ? "库存调整" : action); }
const DELIVERY = { express: "快递", instant: "同城配送", pickup: "门店自提", virtual: "虚拟商品" };

function label(status) { return STATUS[status] || status || ""; }
// Merchants' names by id, read once per page view (merchant_list: a merchant sees itself).
let merchantNames = null;
let storeNames = {};
async function loadMerchantNames() {
  const found = await call("merchant_list", {});
  merchantNames = Object.fromEntries(found.merchants.map((m) => [m.merchant_id, m.name]));
  storeNames = Object.fromEntries(found.merchants.flatMap((m) => m.stores.map((s) => [s.store_id, s.name])));
  return merchantNames;
}
function merchantName(id) { return (merchantNames && merchantNames[id]) || id || ""; }
function storeName(id) { return storeNames[id] || id || ""; }
function yuan(fen) { return "¥" + ((fen || 0) / 100).toFixed(2); }
function fen(yuanText) { return Math.round(parseFloat(yuanText) * 100); }
function percent(rate) { return rate === null || rate === undefined ? "—" : (rate * 100).toFixed(1) + "%"; }
function shanghai(iso) {
  if (!iso) { return ""; }
  return new Date(new Date(iso).getTime() + 8 * 3600 * 1000).toISOString().slice(0, 16).replace("T", " ");
}
function esc(text) {
  return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function figure(testid, value, shown) {
  return `<span data-testid="${testid}" data-value="${esc(value)}">${esc(shown)}</span>`;
}
function range() {
  return { start: document.getElementById("start").value, end: document.getElementById("end").value };
}
function chart(id, option) {
  const element = document.getElementById(id);
  const instance = echarts.init(element);
  instance.setOption({ animation: false, ...option });  // drawn at once: screenshots show it all
  charts.push(instance);
  element.dataset.rendered = "true";
}
function table(testid, headings, rows) {
  return `<table data-testid="${testid}"><thead><tr>${headings.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

// The page's filters and paging live in the hash (#/orders?status=PAID&p=2), so a reload or
// a shared link shows the same list.
function params() {
  return new URLSearchParams((location.hash.split("?")[1]) || "");
}
function setParams(changes) {
  const next = params();
  Object.entries(changes).forEach(([k, v]) => (v === "" || v === null || v === undefined ? next.delete(k) : next.set(k, v)));
  location.hash = location.hash.split("?")[0] + (next.toString() ? "?" + next : "");
}
function pageNo() { return Math.max(1, Number(params().get("p") || 1)); }
function pager(hasMore) {
  const p = pageNo();
  return `<div class="pager" data-testid="pager" data-page="${p}">`
    + `<button type="button" data-page-to="${p - 1}" ${p <= 1 ? "disabled" : ""}>上一页</button> 第 ${p} 页 `
    + `<button type="button" data-page-to="${p + 1}" ${hasMore ? "" : "disabled"}>下一页</button></div>`;
}
function bindPager() {
  page.querySelectorAll("[data-page-to]").forEach((b) => { b.onclick = () => setParams({ p: b.dataset.pageTo }); });
}
// Client-side paging for the queues whose functions answer one bounded list.
function slice(rows) {
  const p = pageNo();
  return { rows: rows.slice((p - 1) * PAGE_SIZE, p * PAGE_SIZE), more: rows.length > p * PAGE_SIZE };
}
function filters(fields) {
  const current = params();
  return `<form class="filters" data-testid="filters">${fields.map((f) => f.options
    ? `<label>${esc(f.label)} <select name="${f.name}"><option value="">全部</option>${f.options.map(([v, t]) =>
      `<option value="${esc(v)}" ${current.get(f.name) === v ? "selected" : ""}>${esc(t)}</option>`).join("")}</select></label>`
    : `<label>${esc(f.label)} <input name="${f.name}" value="${esc(current.get(f.name) || "")}"></label>`).join(" ")}
    <button type="submit">筛选</button></form>`;
}
function bindFilters() {
  const form = page.querySelector("form.filters");
  form.onsubmit = (event) => {
    event.preventDefault();
    setParams({ ...Object.fromEntries(new FormData(form)), p: "" });
  };
}

// A form: HTML constraints validate it, `ask` (when given) confirms what is irreversible,
// the back end's answer or error is shown, and the page is drawn again on success.
function field(f) {
  const attrs = [`name="${f.name}"`, f.required === false ? "" : "required", f.pattern ? `pattern="${f.pattern}"` : "",
    f.min !== undefined ? `min="${f.min}"` : "", f.max !== undefined ? `max="${f.max}"` : "",
    f.step ? `step="${f.step}"` : "", f.maxlength ? `maxlength="${f.maxlength}"` : "",
    f.value !== undefined ? `value="${esc(f.value)}"` : "", f.placeholder ? `placeholder="${esc(f.placeholder)}"` : ""].join(" ");
  if (f.options) {
    return `<label>${esc(f.label)} <select name="${f.name}">${f.options.map(([v, t]) =>
      `<option value="${esc(v)}" ${String(f.value) === String(v) ? "selected" : ""}>${esc(t)}</option>`).join("")}</select></label>`;
  }
  if (f.type === "checkbox") {
    return `<label><input type="checkbox" name="${f.name}" ${f.value ? "checked" : ""}> ${esc(f.label)}</label>`;
  }
  return `<label>${esc(f.label)} <input type="${f.type || "text"}" ${attrs}></label>`;
}
function form(testid, fields, submit) {
  return `<form class="action" data-testid="${testid}">${fields.map(field).join(" ")} <button type="submit">${esc(submit)}</button></form>`;
}
function values(element) {
  const data = Object.fromEntries(new FormData(element));
  element.querySelectorAll("input[type=checkbox]").forEach((box) => { data[box.name] = box.checked; });
  return data;
}
// A form's submit: the browser's checks, then `check` (a message for what is wrong, or null),
// and only then the confirmation `ask`, so nothing invalid is ever confirmed.
function onForm(testid, action, ask, check) {
  page.querySelectorAll(`form[data-testid="${testid}"]`).forEach((element) => {
    element.onsubmit = async (event) => {
      event.preventDefault();
      if (!element.reportValidity()) { return; }
      const data = values(element);
      const wrong = check && check(data, element);
      if (wrong) { showError(new Error(wrong)); return; }
      const question = ask && ask(data, element);
      if (question && !window.confirm(question)) { return; }
      try {
        await action(data, element);
        notice("已完成");
        await render(true);
      } catch (error) { showError(error); }
    };
  });
}
function onButton(selector, action, ask) {
  page.querySelectorAll(selector).forEach((button) => {
    button.onclick = async () => {
      const question = ask && ask(button.dataset);
      if (question && !window.confirm(question)) { return; }
      try {
        await action(button.dataset);
        notice("已完成");
        await render(true);
      } catch (error) { showError(error); }
    };
  });
}
function notice(text) {
  document.getElementById("error").hidden = true;
  const box = document.getElementById("notice");
  box.textContent = text;
  box.hidden = false;
}
function showError(error) {
  document.getElementById("notice").hidden = true;
  const box = document.getElementById("error");
  box.textContent = error.message;
  box.hidden = false;
}

// --- src/reports.js
"use strict";

// The reports: each one or two calls to the analytics functions, charts by ECharts. Every
// figure labelled 用户 counts distinct users over the dates chosen, and each chart says so.
const CHANNELS = {
  share: "分享", qrcode: "扫码", search: "搜索", official_account: "公众号", ads: "广告", nearby: "附近的小程序",
  direct: "直接进入", message: "消息", payment: "支付后", unknown: "未知",
};
function channelName(channel) { return CHANNELS[channel] || channel; }
function caption(text) { return `<p class="caption">${esc(text)}</p>`; }

const PAGES = {
  async dashboard() {
    const sales = await call("analytics_sales", { ...range(), period: "day" });
    const t = sales.total;
    page.innerHTML = `<div class="cards">
      <div class="card"><div class="label">GMV</div><div class="value">${figure("kpi-gmv", t.gmv, yuan(t.gmv))}</div></div>
      <div class="card"><div class="label">支付订单</div><div class="value">${figure("kpi-orders", t.paid_orders, t.paid_orders)}</div></div>
      <div class="card"><div class="label">客单价</div><div class="value">${figure("kpi-aov", t.aov, yuan(t.aov))}</div></div>
      <div class="card"><div class="label">支付用户</div><div class="value">${figure("kpi-payers", t.paying_users, t.paying_users)}</div></div>
      <div class="card"><div class="label">退款率</div><div class="value">${figure("kpi-refund-rate", t.refund_rate, percent(t.refund_rate))}</div></div>
    </div>${caption("支付用户：所选日期内付过款的去重用户；支付订单、GMV 按付款日计；退款率：退款订单 / 支付订单。")}
    <div id="trend" class="chart" data-testid="chart-trend"></div>`;
    chart("trend", {
      tooltip: { trigger: "axis" },
      legend: { data: ["GMV (元)", "订单"] },
      xAxis: { type: "category", data: sales.rows.map((r) => r.period) },
      yAxis: [{ type: "value", name: "元" }, { type: "value", name: "单" }],
      series: [
        { name: "GMV (元)", type: "line", smooth: true, data: sales.rows.map((r) => r.gmv / 100) },
        { name: "订单", type: "bar", yAxisIndex: 1, data: sales.rows.map((r) => r.paid_orders) },
      ],
    });
  },
  async funnel() {
    const funnel = await call("analytics_funnel", range());
    const names = { view: "浏览商品", cart: "加入购物车", order: "下单", pay: "支付" };
    page.innerHTML = caption("用户：所选日期内的去重用户；某天完成该步且同一天完成此前各步的用户计入该步。转化：占上一步用户的比例。")
      + `<div id="funnel-chart" class="chart" data-testid="chart-funnel"></div>`
      + table("funnel-table", ["步骤", "用户", "转化", "流失"], funnel.steps.map((s) => [
        names[s.step], figure(`funnel-${s.step}`, s.users, s.users), percent(s.conversion), percent(s.drop_off)]));
    chart("funnel-chart", {
      tooltip: {},
      series: [{ type: "funnel", sort: "none", data: funnel.steps.map((s) => ({ name: names[s.step], value: s.users })) }],
    });
  },
  async retention() {
    const summary = await call("analytics_retention", {});
    const cohorts = summary.data.cohorts;
    const cells = [];
    cohorts.forEach((c, y) => c.weeks.forEach((rate, x) => cells.push([x, y, Math.round(rate * 1000) / 10])));
    page.innerHTML = caption("按首单所在周分组。次日 / 7日 / 30日：首单后第 1、7、30 天当天有活跃（浏览、下单或付款）的比例；"
      + "第 k 周：首单所在周之后第 k 周内任意一天有活跃的比例。两者口径不同：单日活跃低于整周活跃。")
      + `<div id="heatmap" class="chart" data-testid="chart-retention"></div>`
      + table("retention-table", ["首单周", "人数", "次日", "7日", "30日"], cohorts.map((c) => [
        esc(c.week), figure(`cohort-${c.week}-size`, c.size, c.size), percent(c.d1), percent(c.d7), percent(c.d30)]));
    chart("heatmap", {
      tooltip: {},
      xAxis: { type: "category", data: Array.from({ length: 8 }, (_, k) => "第" + (k + 1) + "周") },
      yAxis: { type: "category", data: cohorts.map((c) => c.week) },
      visualMap: { min: 0, max: 100, calculable: true, orient: "horizontal", left: "center", bottom: 0 },
      series: [{ type: "heatmap", data: cells, label: { show: true } }],
    });
  },
  async segments() {
    const summary = await call("analytics_segments", {});
    const names = { high_value: "高价值", loyal: "忠诚", new: "新客", at_risk: "流失风险", sleeping: "沉睡", regular: "一般" };
    const entries = Object.entries(summary.data.segments);
    page.innerHTML = `<div id="pie" class="chart" data-testid="chart-segments"></div>`
      + table("segments-table", ["分层", "人数"], entries.map(([k, v]) => [names[k] || esc(k), figure(`segment-${k}`, v, v)]));
    chart("pie", { tooltip: {}, series: [{ type: "pie", radius: ["40%", "70%"], data: entries.map(([k, v]) => ({ name: names[k] || k, value: v })) }] });
  },
  async channels() {
    const report = await call("analytics_channels", range());
    page.innerHTML = caption("渠道：用户当天首次进入小程序的场景。浏览用户：所选日期内浏览过商品的去重用户；支付订单、GMV 按付款日计。")
      + `<div id="bars" class="chart" data-testid="chart-channels"></div>`
      + table("channels-table", ["渠道", "浏览用户", "支付订单", "GMV"], report.channels.map((c) => [
        esc(channelName(c.channel)), figure(`channel-${c.channel}-visitors`, c.visitors, c.visitors),
        figure(`channel-${c.channel}-orders`, c.paid_orders, c.paid_orders), figure(`channel-${c.channel}-gmv`, c.gmv, yuan(c.gmv))]))
      + "<h3>分享码</h3>" + table("shares-table", ["分享码", "带来访客", "支付订单", "GMV"], report.share_codes.map((s) => [
        esc(s.share_code), s.visitors, s.paid_orders, yuan(s.gmv)]));
    chart("bars", {
      tooltip: {}, xAxis: { type: "category", data: report.channels.map((c) => channelName(c.channel)) }, yAxis: { type: "value", name: "GMV (元)" },
      series: [{ type: "bar", data: report.channels.map((c) => c.gmv / 100) }],
    });
  },
  async experiments() {
    const known = (await call("experiment_list", {})).experiments;
    const id = sessionStorage.getItem("retail-experiment") || (known[0] && known[0].experiment_id) || "";
    page.innerHTML = `<label>实验 <select id="experiment">${known.map((e) => `<option value="${esc(e.experiment_id)}" ${e.experiment_id === id ? "selected" : ""}>`
      + `${esc(e.experiment_id)}（${esc(e.arms.map((a) => a.name).join(" / "))}，指标 ${esc(e.metric)}）</option>`).join("")}</select></label>`
      + ` <button id="load" type="button">查看</button><div id="result"></div>`;
    document.getElementById("load").onclick = () => { sessionStorage.setItem("retail-experiment", document.getElementById("experiment").value); render(); };
    if (!id) { return; }
    const results = await call("experiment_results", { experiment_id: id });
    document.getElementById("result").innerHTML = `<div id="arms" class="chart" data-testid="chart-experiment"></div>`
      + table("experiment-table", ["分组", "曝光", "转化", "转化率", "比对照（百分点）", "95% 区间", "p 值"], results.arms.map((a) => [
        esc(a.arm), figure(`arm-${a.arm}-exposed`, a.exposed, a.exposed), figure(`arm-${a.arm}-converted`, a.converted, a.converted),
        percent(a.rate), a.lift === null ? "对照" : percent(a.lift),
        a.ci_low === null ? "" : percent(a.ci_low) + " ~ " + percent(a.ci_high), a.p_value === null ? "" : a.p_value.toFixed(4)]));
    chart("arms", { tooltip: {}, xAxis: { type: "category", data: results.arms.map((a) => a.arm) }, yAxis: { type: "value", name: "%" },
      series: [{ type: "bar", data: results.arms.map((a) => Math.round(a.rate * 1000) / 10) }] });
  },
  async statements() {
    const merchant = params().get("merchant_id") || null;
    const found = await call("statement_list", { limit: 366, ...(merchant ? { merchant_id: merchant } : {}) });
    const { rows, more } = slice(found.statements);
    page.innerHTML = (sessionStorage.getItem("retail-role") === "admin" ? filters([{ name: "merchant_id", label: "商户" }]) : "")
      + table("statements-table", ["商户", "营业日", "销售额", "佣金", "应结", "分账", "下载"], rows.map((s) => [
        esc(s.merchant_name), esc(s.day), yuan(s.gross), yuan(s.commission), figure(`statement-${s.merchant_id}-${s.day}`, s.net, yuan(s.net)),
        `<a data-testid="splits-${esc(s.statement_id)}" href="#/splits?statement_id=${encodeURIComponent(s.statement_id)}">分账</a>`,
        s.download ? `<a href="${esc(s.download)}">CSV</a>` : ""])) + pager(more);
    if (page.querySelector("form.filters")) { bindFilters(); }
    bindPager();
  },
  // Marketplace mode: what WeChat Pay split off and released for one statement's sales,
  // beside the commission the statement computed (split_list).
  async splits() {
    const statementId = params().get("statement_id") || "";
    const found = await call("split_list", { statement_id: statementId });
    const states = { FINISHED: "已分账", GIVEN_BACK: "已回退", SPLITTING: "分账中", SPLIT_OWED: "待分账",
      SUBSIDY_OWED: "待补差", SUBSIDY_CANCEL_OWED: "待取消补差", RETURN_OWED: "待回退", RETURNING: "回退中",
      SUBSIDY_RETURN_OWED: "待补差回退" };
    const card = (label, value) => `<div class="card"><div class="label">${label}</div><div class="value">${value}</div></div>`;
    const direct = found.payment_mode === "direct" && !found.splits.length
      ? `<p class="caption" data-testid="splits-direct">直连收款模式：货款进入平台自己的商户号，不分账。</p>` : "";
    page.innerHTML = `<h2>${esc(statementId)} 分账</h2>${direct}<div class="cards">`
      + card("结算单佣金", figure("splits-computed", found.computed, yuan(found.computed)))
      + card("微信支付已分账", figure("splits-moved", found.moved, yuan(found.moved)))
      + card("未完成", figure("splits-pending", found.pending, found.pending))
      // WeChat Pay's fees are billed to a thousandth of a fen: shown as billed, in yuan
      + card("微信支付手续费（商户承担）", figure("splits-fees", found.fees, `¥${found.fees}`)) + `</div>`
      + table("splits-table", ["订单", "子单", "状态", "佣金", "已分账", "补差", "解冻给商户", "手续费", "微信支付说明"], found.splits.map((s) => [
        esc(s.order_id), esc(s.sub_order), esc(states[s.state] || s.state), yuan(s.commission),
        figure(`split-${s.sub_order}`, s.moved, yuan(s.moved)), yuan(s.subsidy),
        s.released === null ? "" : yuan(s.released), s.fee === null ? "账单未到" : `¥${esc(s.fee)}`,
        esc(s.refusal || "")]));
  },
};

// --- src/shop.js
"use strict";

// Running the shop: orders (filters, paging, shipping), the pickup queue (print, verify a
// code), refund review and the risk queue. Each action asks before what cannot be undone.
const STATUS_OPTIONS = Object.entries({
  PENDING_PAYMENT: "待付款", PAID: "待发货", SHIPPED: "已发货", COMPLETED: "已完成",
  CANCELLED: "已取消", REFUNDING: "退款中", REFUNDED: "已退款", FAILED: "失败",
});

function orderQuery(extra) {
  const q = params();
  const query = { limit: PAGE_SIZE + 1, skip: (pageNo() - 1) * PAGE_SIZE, ...extra };
  ["status", "order_id", "delivery", "shipping_upload"].forEach((k) => { if (q.get(k)) { query[k] = q.get(k); } });
  if (q.get("ship_within_hours")) { query.ship_within_hours = Number(q.get("ship_within_hours")); }
  return query;
}
// The order timeline's notes (written by the back end in English) in an operator's words.
const NOTES = {
  paid: "已付款", "refund received": "退款已到账", "payment deadline passed": "超时未付款，已取消",
  "picked up at the store": "门店已自提", received: "买家已确认收货", "delivered by rider": "骑手已送达",
  "confirmed automatically": "超时自动确认收货", "order did not go through": "下单未成功", "membership active": "会员已生效",
  OUT_OF_STOCK: "库存不足", PURCHASE_LIMIT: "超出限购", COUPON_UNAVAILABLE: "优惠券不可用", NOT_ENOUGH_POINTS: "积分不足",
  GROUP_CLOSED: "拼团已关闭", ACCOUNT_CLOSING: "账号注销中", CONSENT_WITHDRAWN: "隐私同意已撤回", INTERRUPTED: "下单被中断",
};
function noteText(note) { return note ? NOTES[note] || note : ""; }
function lineTitles(o) { return esc((o.lines || []).map((l) => `${l.title} ×${l.qty}`).join("、")); }
function sellers(o) { return esc([...new Set((o.lines || []).map((l) => merchantName(l.merchant_id)))].join("、")); }
// The order's id opening its whole view; data-value is its status, as figure() gives it.
function orderLink(o) {
  return `<a href="#/order?id=${encodeURIComponent(o.order_id)}" data-testid="order-${esc(o.order_id)}" data-value="${esc(o.status)}">${esc(o.order_id)}</a>`;
}

// WeChat's delivery companies (courier_list): the only couriers its shipping information takes.
let couriers = null;
async function loadCouriers() {
  couriers = couriers || await call("courier_list", {}).then((found) => found.couriers).catch(() => null);
  return couriers || [];
}
function courierName(code) { return ((couriers || []).find((c) => c.code === code) || { name: code }).name; }
function shipFields() {
  return [
    { name: "carrier", label: "快递公司", options: (couriers || []).map((c) => [c.code, c.name]) },
    { name: "tracking_no", label: "运单号", pattern: "[A-Za-z0-9\\-]{6,40}", placeholder: "SF1234567890", maxlength: 40 },
  ];
}
// WeChat's rule for trade mini-programs: ordinary goods ship within 48 hours of payment.
function shipBy(o) {
  if (!o.ship_by) { return ""; }
  const left = (new Date(o.ship_by) - Date.now()) / 3600e3;
  const text = left < 0 ? "已超过发货时限" : `须于 ${shanghai(o.ship_by)} 前发货`;
  return `<br><small class="${left < 12 ? "late" : ""}" data-testid="ship-by-${esc(o.order_id)}">${esc(text)}</small>`;
}
// The last quarterly income export made on this page (its link is shown until the next).
let lastCommissionReport = null;
function reportLine(report) {
  if (!report) { return ""; }
  if (!report.download) {
    return `<p data-testid="commission-report-empty">${esc(report.quarter)}：本季度没有付款或退回，无需报送</p>`;
  }
  return `<p><a href="${esc(report.download)}" data-testid="commission-report-download">${esc(report.quarter)}：${report.promoters} 位推广员，共 ${yuan(report.paid_fen)}</a></p>`;
}
// A promoter's withdrawal, in the words operators read.
const WITHDRAWAL = { REVIEWING: "待审核", CLAIMING: "处理中", TRANSFERRING: "转账中", WAIT_USER_CONFIRM: "待推广员确认",
  WITHDRAWN: "已到账", RETURNED: "已退回余额", REJECTED: "已拒绝", REFUSED: "余额不足" };
// Where WeChat's copy of an order's shipping stands (WeChat holds the money until it has it).
const WECHAT_SHIPPING = { UPLOADED: "已上传微信", RETRYING: "上传重试中", FAILED: "微信拒绝，需处理",
  NOT_SHIPPABLE: "微信不可发货（已退款）", NOT_MANAGED: "未纳入交易管理，未上传", NOT_NEEDED: "无需上传" };
function wechatShipping(o) {
  const w = o.wechat_shipping;
  if (!w) { return ""; }
  const error = w.error ? `（${esc(w.error.errcode)} ${esc(w.error.errmsg)}）` : "";
  const r = o.wechat_receipt;
  const receipt = !r ? "" : r.settled ? "微信已结算" : r.received ? "买家已在微信确认收货" : "等待买家在微信确认收货";
  return `<p data-testid="order-wechat-shipping" data-value="${esc(w.state)}">微信发货信息：${esc(WECHAT_SHIPPING[w.state] || w.state)}${error}`
    + (receipt ? `；<span data-testid="order-wechat-receipt">${esc(receipt)}</span>` : "") + "</p>"
    + wechatShippingParts(w.parts);
}
// A marketplace order's combined payment: each merchant's sub-order is a payment WeChat holds.
function wechatShippingParts(parts) {
  const rows = Object.entries(parts || {}).map(([no, p]) => {
    const error = p.error ? `（${esc(p.error.errcode)} ${esc(p.error.errmsg)}）` : "";
    const paid = p.transaction_id ? `（微信支付单号 ${esc(p.transaction_id)}）` : "";
    return `<li data-testid="order-wechat-shipping-part" data-value="${esc(p.state)}">子单 ${esc(no)}${paid}：${esc(WECHAT_SHIPPING[p.state] || p.state)}${error}</li>`;
  });
  return rows.length ? `<ul>${rows.join("")}</ul>` : "";
}

Object.assign(PAGES, {
  async withdrawals() {
    // Promoters' withdrawals (commission_withdraw): large ones wait here for a decision;
    // the rest show where WeChat Pay's transfer stands.
    const status = params().get("status");
    const found = await call("withdrawal_queue", status ? { status, limit: 200 } : { limit: 200 });
    const { rows, more } = slice(found.withdrawals);
    page.innerHTML = filters([{ name: "status", label: "状态", options: Object.entries(WITHDRAWAL) }])
      + `<p>${form("commission-report", [{ name: "quarter", label: "季度收入导出（报送税务）", placeholder: "2026Q3", pattern: "20[2-9][0-9]Q[1-4]" }], "导出")}</p>`
      + reportLine(lastCommissionReport)
      + table("withdrawals-table", ["提现单", "推广员", "金额", "状态", "原因", "申请时间", "处理"], rows.map((w) => [
        figure(`withdrawal-${w.withdrawal_id}`, w.state, w.withdrawal_id), esc(w.openid), yuan(w.amount),
        esc(WITHDRAWAL[w.state] || w.state), esc(w.fail_reason || (w.review && w.review.note) || ""), esc(shanghai(w.created_at)),
        w.state === "REVIEWING" ? form(`withdrawal-review-${w.withdrawal_id}`, [
          { name: "decision", label: "决定", options: [["approve", "通过并转账"], ["reject", "拒绝，退回余额"]] },
          { name: "note", label: "备注", required: false, maxlength: 200 }], "提交") : ""])) + pager(more);
    bindFilters();
    bindPager();
    onForm("commission-report", async (d) => { lastCommissionReport = await call("commission_report", { quarter: d.quarter }); });
    rows.filter((w) => w.state === "REVIEWING").forEach((w) => onForm(`withdrawal-review-${w.withdrawal_id}`,
      (d) => call("withdrawal_review", { withdrawal_id: w.withdrawal_id, decision: d.decision, note: d.note || null }),
      (d) => (d.decision === "approve" ? `向推广员转账 ${yuan(w.amount)}？转账发起后不能撤回。` : `拒绝提现 ${w.withdrawal_id}？金额退回推广员余额。`)));
  },
  async orders() {
    await loadMerchantNames();
    await loadCouriers();
    const found = await call("order_search", orderQuery({}));
    const { rows, more } = { rows: found.orders.slice(0, PAGE_SIZE), more: found.orders.length > PAGE_SIZE };
    page.innerHTML = filters([
      { name: "status", label: "状态", options: STATUS_OPTIONS },
      { name: "delivery", label: "配送", options: Object.entries(DELIVERY) },
      { name: "order_id", label: "订单号" },
      { name: "ship_within_hours", label: "发货时限", options: [["12", "12 小时内到期或已超时"]] },
      { name: "shipping_upload", label: "微信发货信息", options: ["FAILED", "RETRYING", "NOT_SHIPPABLE", "NOT_MANAGED"].map((s) => [s, WECHAT_SHIPPING[s]]) },
    ]) + table("orders-table", ["订单", "状态", "金额", "配送", "商品", "商户", "收货人", "电话", "下单时间", "操作"], rows.map((o) => [
      orderLink(o), esc(label(o.status)) + (o.risk_hold ? " (风控冻结)" : "") + shipBy(o), yuan(o.total),
      esc(DELIVERY[o.delivery] || o.delivery), lineTitles(o), sellers(o), esc((o.address || {}).userName), esc((o.address || {}).telNumber),
      esc(shanghai(o.created_at)),
      o.status === "PAID" && o.delivery !== "pickup" ? form(`ship-${o.order_id}`, shipFields(), "发货") : ""])) + pager(more);
    bindFilters();
    bindPager();
    rows.filter((o) => o.status === "PAID").forEach((o) => onForm(`ship-${o.order_id}`,
      (d) => call("order_ship", { order_id: o.order_id, carrier: d.carrier, tracking_no: d.tracking_no }),
      (d) => `确认发货 ${o.order_id}（${d.carrier} ${d.tracking_no}）？发货后不能撤回。`));
  },
  // One order whole: lines, money, parcels and tracking, its timeline, refunds and the audit.
  async order() {
    await loadMerchantNames();
    await loadCouriers();
    const found = await call("order_inspect", { order_id: params().get("id") || "" });
    const o = found.order;
    const money = [["商品金额", o.goods_amount], ["运费", o.freight], ["优惠券", -o.discount], ["会员折扣", -o.member_discount],
      ["积分抵扣", -o.points_used], ["应付", o.total], ["实付", o.paid_amount]].filter(([, v]) => v !== null && v !== undefined);
    page.innerHTML = `<h3 data-testid="order-id">订单 ${esc(o.order_id)} · ${esc(label(o.status))}${o.risk_hold ? "（风控冻结）" : ""}</h3>`
      + `<p>${esc(DELIVERY[o.delivery] || o.delivery)} · 下单 ${esc(shanghai(o.created_at))}${o.paid_at ? " · 付款 " + esc(shanghai(o.paid_at)) : ""}`
      + `${o.transaction_id ? " · 微信支付单号 " + esc(o.transaction_id) : ""}</p>`
      + (o.address ? `<p>收货：${esc(o.address.userName)} ${esc(o.address.telNumber)} ${esc(o.address.cityName || "")}${esc(o.address.detailInfo || "")}</p>` : "")
      + "<h4>商品</h4>" + table("order-lines", ["商品", "规格", "商户", "单价", "数量", "小计"], o.lines.map((l) => [
        esc(l.title), esc(l.spec), esc(merchantName(l.merchant_id)), yuan(l.price), l.qty, yuan(l.amount)]))
      + "<h4>金额</h4>" + table("order-money", ["项目", "金额"], money.map(([k, v]) => [k, yuan(v)]))
      + "<h4>包裹</h4>" + table("order-parcels", ["商户", "状态", "快递", "运单号"], Object.entries(o.parcels || {}).map(([m, p]) => [
        esc(merchantName(m)), esc(label(p.status)), esc(courierName(p.carrier)), esc(p.tracking_no)]))
      + wechatShipping(o)
      + (o.refund_request ? `<p data-testid="order-refund-request">退款申请：${esc(label(o.refund_request.status))} · `
        + `${esc(o.refund_request.reason || "")}${o.refund_request.merchant_id ? " · " + esc(merchantName(o.refund_request.merchant_id)) + "的包裹" : " · 整单"}</p>` : "")
      + "<h4>退款</h4>" + table("order-refunds", ["退款单", "范围", "金额", "状态", "原因", "时间"], found.refunds.map((r) => [
        esc(r.out_refund_no), r.merchant_id ? esc(merchantName(r.merchant_id)) + "的包裹" : "整单",
        r.amount === null ? "—" : yuan(r.amount), esc(label(r.status)), esc(r.reason), esc(shanghai(r.created_at))]))
      + "<h4>进度</h4>" + table("order-timeline", ["时间", "状态", "说明"], (o.timeline || []).map((t) => [
        esc(shanghai(t.at)), esc(label(t.status)), esc(noteText(t.note))]))
      + "<h4>操作记录</h4>" + table("order-audit", ["时间", "操作员", "角色", "操作"], found.audit.map((a) => [
        esc(shanghai(a.at)), esc(a.operator_id), esc(a.role), esc(actionName(a.action))]));
  },
  async pickup() {
    const store = params().get("store_id") || "";
    const found = await call("order_search", { delivery: "pickup", status: "PAID", limit: 200, priority_first: true, ...(store ? { store_id: store } : {}) });
    const { rows, more } = slice(found.orders);
    const stores = Object.entries(storeNames);
    page.innerHTML = filters([{ name: "store_id", label: "门店", options: stores }])
      + form("pickup-verify", [
        { name: "store_id", label: "门店", options: stores, value: store },
        { name: "pickup_code", label: "自提码", pattern: "[0-9]{6}", maxlength: 6, placeholder: "6 位数字" }], "核销")
      + ` <button type="button" id="print">打印备货单</button>`
      + table("pickup-table", ["订单", "门店", "商品", "金额", "下单时间"], rows.map((o) => [
        figure(`pickup-${o.order_id}`, o.store_id, o.order_id), esc(storeName(o.store_id)), lineTitles(o), yuan(o.total), esc(shanghai(o.created_at))]))
      + pager(more);
    bindFilters();
    bindPager();
    document.getElementById("print").onclick = () => window.print();
    onForm("pickup-verify", (d) => call("order_pickup_verify", { store_id: d.store_id, pickup_code: d.pickup_code }),
      (d) => `核销自提码 ${d.pickup_code}？核销后订单完成。`);
  },
  async refunds() {
    await loadMerchantNames();
    const found = await call("order_search", { refund_request_status: "REQUESTED", limit: 200, priority_first: true });
    const { rows, more } = slice(found.orders);
    const what = (o) => (o.refund_request.merchant_id ? `${merchantName(o.refund_request.merchant_id)}的包裹` : "整单");
    page.innerHTML = table("refunds-table", ["订单", "状态", "金额", "退款范围", "退款原因", "申请时间", "审核"], rows.map((o) => [
      figure(`refund-${o.order_id}`, o.status, o.order_id), esc(label(o.status)), yuan(o.total), esc(what(o)), esc(o.refund_request.reason),
      esc(shanghai(o.refund_request.at)),
      form(`refund-review-${o.order_id}`, [
        { name: "approve", label: "结果", options: [["true", "同意退款"], ["false", "拒绝"]] },
        { name: "note", label: "备注", required: false, maxlength: 200 }], "提交")])) + pager(more)
      + (rows.length ? "" : `<p data-testid="refunds-empty">没有待审核的退款</p>`);
    bindPager();
    rows.forEach((o) => onForm(`refund-review-${o.order_id}`,
      (d) => call("refund_review", { order_id: o.order_id, approve: d.approve === "true", note: d.note || null }),
      (d) => (d.approve === "true"
        ? (o.refund_request.merchant_id
          ? `同意退还订单 ${o.order_id} 中${what(o)}？该商家商品的应付金额将原路退回。`
          : `同意退款 ${yuan(o.total)} 给订单 ${o.order_id}？款项将原路退回。`)
        : `拒绝订单 ${o.order_id} 的退款申请？`)));
  },
  async risk() {
    const q = params();
    const found = await call("risk_queue", { status: q.get("status") || "OPEN", kind: q.get("kind") || null, limit: 200 });
    const { rows, more } = slice(found.events);
    page.innerHTML = filters([
      { name: "status", label: "状态", options: [["OPEN", "待处理"], ["RELEASED", "已放行"], ["REJECTED", "已拒绝"]] },
      { name: "kind", label: "规则", options: Object.entries(RISK_RULE) }])
      + table("risk-table", ["事件", "规则", "处理", "状态", "用户", "订单", "证据", "时间", "决定"], rows.map((e) => [
        figure(`risk-${e.event_id}`, e.status, e.event_id), esc(riskRule(e.kind)), esc(RISK_ACTION[e.action] || e.action), esc(label(e.status)), esc(e.openid),
        esc(e.order_id), esc(evidence(e.evidence)), esc(shanghai(e.created_at)),
        e.status === "OPEN" ? form(`risk-review-${e.event_id}`, [
          { name: "decision", label: "决定", options: [["RELEASE", "放行"], ["REJECT", "拒绝"]] },
          { name: "note", label: "备注", required: false, maxlength: 200 }], "提交") : esc(e.note)])) + pager(more);
    bindFilters();
    bindPager();
    rows.filter((e) => e.status === "OPEN").forEach((e) => onForm(`risk-review-${e.event_id}`,
      (d) => call("risk_review", { event_id: e.event_id, decision: d.decision, note: d.note || null }),
      (d) => (d.decision === "REJECT" ? `拒绝 ${e.order_id || e.event_id}？被冻结的订单会取消或退款。` : `放行 ${e.order_id || e.event_id}？`)));
  },
});

// The risk rules (retail.risk and the payment checks) in the words an operator uses.
const RISK_RULE = {
  blacklisted: "黑名单", order_velocity: "下单过于频繁", device_claims: "同一设备领券过多",
  reward_device_reused: "同一设备重复领取拉新奖励", refund_abuse: "频繁退款", payment_for_unknown_order: "未知订单的付款",
  payment_mismatch: "付款金额不符", paid_twice: "重复付款",
};
const SHARED = { address: "地址", phone: "手机号", device: "设备" };
const RISK_ACTION = { block: "已拦截", hold: "已冻结", flag: "待核查" };
function riskRule(kind) {
  if (kind.startsWith("shared_")) { return `多个账号共用${kind.slice(7).split("_").map((k) => SHARED[k] || k).join("、")}`; }
  return RISK_RULE[kind] || kind;
}
// A rule's evidence in words: "地址：4 个账号（指纹 cf40…）", "近 30 天退款 3 次".
const EVIDENCE = { orders: "近期订单", refunds_in_30_days: "近 30 天退款", signal: "命中", accounts: "账号数", amount: "金额", expected: "应付" };
function evidence(found) {
  return Object.entries(found || {}).map(([k, v]) => {
    if (v && typeof v === "object" && "accounts" in v) {
      return `${SHARED[k] || k}：${v.accounts} 个账号（指纹 ${String(v.fingerprint || "").slice(0, 8)}…）`;
    }
    return `${EVIDENCE[k] || SHARED[k] || k}：${typeof v === "object" ? JSON.stringify(v) : SHARED[v] || v}`;
  }).join("；");
}

// --- src/catalog.js
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

// --- src/service.js
"use strict";

// Customer service: answering and hiding reviews, the reviews WeChat's content checks hold
// (with why), and the feedback tickets (high-value customers first).
Object.assign(PAGES, {
  async reviews() {
    // Products chosen by name (best sellers first), the top one shown at once.
    const products = (await call("catalog_browse", { sort: "sales", page_size: 50 })).items;
    const productId = params().get("product_id") || (products[0] && products[0].product_id) || "";
    const shown = products.find((p) => p.product_id === productId);
    page.innerHTML = filters([{ name: "product_id", label: "商品", options: products.map((p) => [p.product_id, p.title]) }])
      + `<h3>${esc(shown ? shown.title : productId)}</h3><div id="reviews"></div>`;
    const picker = page.querySelector("select[name=product_id]");
    if (picker) { picker.value = productId; }
    bindFilters();
    if (!productId) { return; }
    const found = await call("review_list", { product_id: productId, page: pageNo() });
    document.getElementById("reviews").innerHTML = `<p>共 ${found.count} 条，均分 ${found.average ?? "—"}</p>`
      + table("reviews-table", ["买家", "规格", "评分", "内容", "时间", "回复", "操作"], found.reviews.map((r) => [
        figure(`review-${r.review_id}`, r.rating, r.buyer), esc(r.spec || r.sku_id), "★".repeat(r.rating), esc(r.text), esc(shanghai(r.created_at)), esc(r.reply),
        form(`review-reply-${r.review_id}`, [{ name: "reply", label: "回复", maxlength: 200, value: r.reply || "" }], "回复")
        + ` <button type="button" class="hide-review" data-id="${esc(r.review_id)}">隐藏</button>`])) + pager(found.has_more);
    bindPager();
    found.reviews.forEach((r) => onForm(`review-reply-${r.review_id}`, (d) => call("review_moderate", { review_id: r.review_id, reply: d.reply })));
    onButton(".hide-review", (d) => call("review_moderate", { review_id: d.id, hidden: true }),
      () => "隐藏这条评价？它将不再计入评分。");
  },
  async held() {
    // Reviews nobody sees yet: WeChat judged them risky (never shown), asked for a person
    // (review), could not be asked (unchecked), or an image's answer is awaited (pending).
    const reason = params().get("held") || "";
    const found = await call("review_queue", reason ? { held: reason, limit: 200 } : { limit: 200 });
    const { rows, more } = slice(found.reviews);
    page.innerHTML = filters([{ name: "held", label: "原因", options: [["", "全部"], ...Object.entries(HELD)] }])
      + table("held-table", ["评价", "评分", "内容", "图片", "原因", "检测结果", "时间", "操作"], rows.map((r) => [
        figure(`held-${r.review_id}`, r.held, r.review_id), "★".repeat(r.rating), esc(r.text),
        esc(r.images.map((i) => `${i.key.split("/").pop()} ${HELD[i.judgement] || "通过"}`).join("，")),
        esc(HELD[r.held]), esc(r.why), esc(shanghai(r.created_at)),
        r.held === "RISKY" ? "不可展示" : `<button type="button" class="show-review" data-id="${esc(r.review_id)}">展示</button>`])) + pager(more);
    bindFilters();
    bindPager();
    onButton(".show-review", (d) => call("review_moderate", { review_id: d.id, hidden: false }),
      () => "展示这条评价？买家和其他用户都将看到它。");
  },
  async tickets() {
    const status = params().get("status") || "OPEN";
    const found = await call("feedback_queue", { status, limit: 200 });
    const { rows, more } = slice(found.tickets);
    page.innerHTML = filters([{ name: "status", label: "状态", options: [["OPEN", "待处理"], ["IN_PROGRESS", "处理中"], ["RESOLVED", "已解决"], ["CLOSED", "已关闭"]] }])
      + table("tickets-table", ["工单", "类型", "内容", "订单", "优先", "状态", "时间", "处理"], rows.map((t) => [
        figure(`ticket-${t.ticket_id}`, t.status, t.ticket_id), t.kind === "complaint" ? "投诉" : "建议",
        t.content_check && t.content_check !== "PASS" ? `<span class="flag">${esc(HELD[t.content_check])}</span> ${esc(t.text)}` : esc(t.text), esc(t.order_id),
        t.priority === 1 ? "高" : "", esc(label(t.status)), esc(shanghai(t.created_at)),
        form(`ticket-${t.ticket_id}`, [
          { name: "status", label: "状态", options: [["IN_PROGRESS", "处理中"], ["RESOLVED", "已解决"], ["CLOSED", "已关闭"]] },
          { name: "reply", label: "回复", required: false, maxlength: 500, value: t.reply || "" }], "提交")])) + pager(more);
    bindFilters();
    bindPager();
    rows.forEach((t) => onForm(`ticket-${t.ticket_id}`, (d) => call("feedback_update", { ticket_id: t.ticket_id, status: d.status, reply: d.reply || null }),
      (d) => ({ CLOSED: `关闭工单 ${t.ticket_id}？关闭后不能再处理。`, RESOLVED: `标记工单 ${t.ticket_id} 已解决？之后只能关闭。` }[d.status] || null)));
  },
});

// --- src/main.js
"use strict";

// The shell: sign-in, the menu for the operator's role, the date bar on the reports that use
// it, and the hash router (#/<page>?<filters>).

// What each role may open (the functions refuse the rest anyway; this keeps the menu honest).
const ROLE_PAGES = {
  admin: null,
  merchant: ["dashboard", "funnel", "segments", "orders", "order", "products", "reviews", "ads", "statements", "splits"],
  service: ["orders", "order", "pickup", "refunds", "risk", "reviews", "held", "tickets"],
};
const RANGE_PAGES = ["dashboard", "funnel", "channels", "ads"];

function allowedPages() {
  const role = (sessionStorage.getItem("retail-role") || "").split(":")[0];
  return ROLE_PAGES[role] === undefined ? [] : ROLE_PAGES[role];
}

// The signed-in role in words: 管理员, 客服, or the merchant by name once the names are known.
function roleName(role) {
  const [base, merchant] = role.split(":");
  if (base === "merchant") { return `商户 ${merchantName(merchant)}`; }
  return { admin: "管理员", service: "客服" }[base] || role;
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = "#/login";
}

function showLogin() {
  document.getElementById("nav").hidden = true;
  document.getElementById("range").hidden = true;
  page.dataset.page = "login";
  page.innerHTML = `<form class="login" id="login"><h2>运营登录</h2>
    <input id="operator-id" placeholder="账号" autocomplete="username" required>
    <input id="password" type="password" placeholder="密码" autocomplete="current-password" required>
    <button type="submit">登录</button></form>`;
  document.getElementById("login").onsubmit = async (event) => {
    event.preventDefault();
    try {
      const session = await call("operator_login", {
        operator_id: document.getElementById("operator-id").value,
        password: document.getElementById("password").value,
      });
      sessionStorage.setItem(TOKEN_KEY, session.token);
      sessionStorage.setItem("retail-role", session.role);
      location.hash = "#/" + (allowedPages() ? allowedPages()[0] : "dashboard");
    } catch (error) { showError(error); }
  };
}

function showShell(name) {
  const allowed = allowedPages();
  document.querySelectorAll("#nav a").forEach((a) => {
    a.hidden = Boolean(allowed) && !allowed.includes(a.hash.slice(2));
    a.classList.toggle("active", a.hash === "#/" + name);
  });
  document.getElementById("nav").hidden = false;
  document.getElementById("range").hidden = !RANGE_PAGES.includes(name);
  document.getElementById("who").textContent = roleName(sessionStorage.getItem("retail-role") || "");
}

async function render(keepNotice) {
  charts.splice(0).forEach((c) => c.dispose());
  document.getElementById("error").hidden = true;
  if (!keepNotice) { document.getElementById("notice").hidden = true; }
  let name = (location.hash.replace(/^#\//, "") || "dashboard").split("?")[0];
  if (!token() || name === "login") { showLogin(); return; }
  const allowed = allowedPages();
  if (allowed && !allowed.includes(name)) { name = allowed[0] || "orders"; }
  if (!merchantNames) { await loadMerchantNames().catch(() => null); }  // names in the header too
  showShell(name);
  page.dataset.page = name;
  page.dataset.ready = "false";
  try {
    await (PAGES[name] || PAGES.dashboard)();
  } catch (error) { showError(error); }
  page.dataset.ready = "true";
}

function defaultRange() {
  const day = (offset) => {
    const d = new Date(Date.now() + 8 * 3600 * 1000 - offset * 86400 * 1000);  // Asia/Shanghai
    return d.toISOString().slice(0, 10);
  };
  document.getElementById("start").value = day(29);
  document.getElementById("end").value = day(0);
}

defaultRange();
document.getElementById("apply").onclick = () => render();
document.getElementById("sign-out").onclick = signOut;
window.addEventListener("hashchange", () => render());
window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
render();
