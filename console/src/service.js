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
