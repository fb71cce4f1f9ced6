// @ts-check
// What shoppers read: yuan, Chinese order states, Asia/Shanghai times.
"use strict";

/** @type {Record<string, string>} */
const STATUS = {
  RESERVING: "下单中",
  PENDING_PAYMENT: "待付款",
  PAID: "已付款",
  SHIPPED: "已发货",
  COMPLETED: "已完成",
  CANCELLED: "已取消",
  FAILED: "下单失败",
  REFUNDING: "退款中",
  REFUNDED: "已退款",
};

/** @param {number | null | undefined} fen */
function yuan(fen) {
  return "¥" + ((fen || 0) / 100).toFixed(2);
}

/** @param {string} status */
function statusLabel(status) {
  return STATUS[status] || status;
}

/** "2026-12-01 08:30" in Asia/Shanghai, whatever the phone's zone. @param {string | null} iso */
function shanghaiTime(iso) {
  if (!iso) return "";
  const shifted = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
  return shifted.toISOString().slice(0, 16).replace("T", " ");
}

module.exports = { STATUS, yuan, statusLabel, shanghaiTime };
