// A group (拼团) as its link shows it: the deal, how many places are left, the deadline;
// join it at the group price, or share it to fill it. Opened from a shared link, the
// visit rewards the inviter like any other share.
const { call } = require("../../lib/retail");
const { ensureLogin, track, openShare, showError } = require("../../lib/session");
const { yuan, shanghaiTime } = require("../../lib/format");

const PAGE = "pages/group/group";
/** @type {Record<string, string>} */
const GROUP_STATUS = { OPEN: "拼团中", SUCCEEDED: "拼团成功", FAILED: "拼团失败" };

Component({
  data: { group: null, share: null, error: null },
  methods: {
    async onLoad(query = {}) {
      try {
        await ensureLogin();
        if (query.share) await openShare(query.share);
        const group = await call("group_get", { group_id: query.id });
        const share = await call("share_create", { product_id: group.product_id });
        this.setData({ group: groupView(group), share });
        track([{ type: "product_view", product_id: group.product_id, page: PAGE }]);
      } catch (error) {
        showError(this, error);
      }
    },
    join() {
      const { group } = this.data;
      wx.navigateTo({ url: `/pages/checkout/checkout?deal=${group.deal_id}&sku=${group.sku_id}&group=${group.group_id}` });
    },
    openProduct() {
      wx.navigateTo({ url: `/pages/product/detail?id=${this.data.group.product_id}` });
    },
    onShareAppMessage() {
      const { group, share } = this.data;
      track([{ type: "share", product_id: group.product_id, page: PAGE }]);
      return {
        title: `还差${group.left}人，${group.price_text}拼团`,
        path: `/${PAGE}?id=${group.group_id}&share=${share.share_code}`,
      };
    },
  },
});

function groupView(group) {
  const left = group.size - group.joined;
  return {
    ...group,
    left,
    price_text: yuan(group.group_price),
    status_text: GROUP_STATUS[group.status] || group.status,
    deadline_text: shanghaiTime(group.deadline),
    joinable: group.open_to_join && !group.mine,
  };
}
