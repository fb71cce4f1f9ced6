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
