// @ts-check
// What one deployment sets: its CloudBase environment, the privacy-policy version it shows
// (RETAIL_PRIVACY_POLICY_VERSION on the back end) and its subscribe-message templates
// (ids from mp.weixin.qq.com > 订阅消息).
"use strict";

module.exports = {
  cloudEnv: "your-cloudbase-env-id",
  privacyVersion: "2026-01",
  // One template per notice (the back end's RETAIL_NOTICE_TEMPLATES names the same ids); a
  // grant for one never pays for another.
  subscribeTemplates: {
    shipped: "order-shipped",
    pickup_ready: "pickup-ready",
    refund_result: "refund-result",
    group_result: "group-result",
  },
};
