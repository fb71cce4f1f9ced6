// Open a share -> the inviter is rewarded: the product page's share link carries the
// inviter's code, and a new shopper opening it calls share_reward.
const { shopperNamed, openPage, text } = require("./helpers");

async function pointsOf(openid) {
  global.wx.state.openid = openid;
  const me = openPage("pages/me/me");
  await me.instance.onShow();
  return me;
}

test("a new shopper opening a shared product rewards the inviter with points", async () => {
  const inviter = shopperNamed("jest-inviter");
  const page = openPage("pages/product/detail");
  await page.instance.onLoad({ id: "p-mango" });
  const shared = page.instance.onShareAppMessage();
  expect(shared.title).toBe(page.data.product.title);
  const [route, query] = shared.path.replace(/^\//, "").split("?");
  expect(route).toBe("pages/product/detail");
  const opened = Object.fromEntries(new URLSearchParams(query));
  expect(opened).toEqual({ id: "p-mango", share: page.data.share.share_code });
  expect((await pointsOf(inviter)).data.me.points).toBe(0);

  const visitor = shopperNamed("jest-visitor");
  global.wx.state.scene = 1007;  // opened from a single chat
  const landing = openPage("pages/product/detail");
  await landing.instance.onLoad(opened);
  expect(landing.data.error).toBeNull();
  // The inviter is named by a pseudonym: a share code tells nobody the inviter's openid.
  expect(landing.data.reward).toEqual({ inviter: expect.stringMatching(/^u[0-9a-f]{31}$/), bound: true, points_awarded: 50 });
  expect(JSON.stringify(landing.data.reward)).not.toContain(inviter);
  const tracked = global.wx.calls
    .filter((c) => c.api === "cloud.callFunction" && c.params.name === "track")
    .flatMap((c) => c.params.data.events.map((e) => e.type));
  expect(tracked).toEqual(expect.arrayContaining(["share_open", "product_view"]));

  const me = await pointsOf(inviter);
  expect(me.data.me.points).toBe(50);
  expect(text(me, "#points")).toBe("积分 50");
  expect(visitor).not.toBe(inviter);
});
