// @ts-check
// The shop's privacy policy (隐私政策), one text per version: the buyer reads the version the
// back end asks for (RETAIL_PRIVACY_POLICY_VERSION, `details.policy_version`) before accepting
// it, and gives the separate consent to share contact details on its own (PIPL art. 23).
"use strict";

/** @type {Record<string, {title: string, sections: {heading: string, body: string}[], share: string}>} */
const POLICIES = {
  "2026-01": {
    title: "隐私政策（2026-01 版）",
    sections: [
      { heading: "我们收集什么", body: "下单时您选择的收货人姓名、手机号和收货地址；同城配送时您的位置；您的订单、优惠券和积分记录。" },
      { heading: "用来做什么", body: "仅用于为您配送、售后和风险防控（如防止恶意下单），不用于营销推送。" },
      { heading: "提供给谁", body: "您的姓名、手机号和地址会提供给为您发货的商家，以及同城配送的骑手；除此以外不提供给任何第三方。这需要您单独同意。" },
      { heading: "保存多久", body: "订单作为交易记录依法保存；您注销账号后，个人信息即被删除，订单以匿名方式保留。" },
      { heading: "您的权利", body: "您可以在「我的」中导出全部数据、撤回同意或注销账号；撤回后我们不再使用您的地址。" },
    ],
    share: "我单独同意：将我的姓名、手机号和收货地址提供给为我发货的商家和同城配送的骑手，仅用于配送我的订单。",
  },
};

/**
 * The policy of `version`, or null when this app does not know it.
 * @param {string} version
 */
function policyOf(version) {
  return POLICIES[version] || null;
}

module.exports = { policyOf };
