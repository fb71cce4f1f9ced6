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
