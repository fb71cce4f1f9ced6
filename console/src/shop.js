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
