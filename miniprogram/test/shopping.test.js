// Browse -> product -> cart -> checkout -> pay in the sandbox -> the order shows PAID, each
// page's code running against the real back end through the dev gateway.
const { shopperNamed, openPage, navigatedTo, calledFunctions, text, item, chooseAddress, privacyAsked } = require("./helpers");

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test("a shopper browses, buys a mango and sees the order paid", async () => {
  shopperNamed("jest-buyer");
  const home = openPage("pages/index/index");
  await home.instance.onLoad({});
  expect(home.data.error).toBeNull();
  expect(home.data.categories.map((c) => c.category_id)).toContain("fruit");

  await home.instance.onCategory({ currentTarget: { dataset: { id: "fruit" } } });
  expect(home.data.items.length).toBeGreaterThan(0);
  expect(home.data.items.every((i) => i.category_id === "fruit")).toBe(true);
  await home.instance.onSort({ currentTarget: { dataset: { sort: "price" } } });
  const prices = home.data.items.map((i) => i.price);
  expect(prices).toEqual([...prices].sort((a, b) => a - b));
  await home.instance.onSearch({ detail: { value: "芒果" } });
  expect(home.data.items.map((i) => i.product_id)).toEqual(["p-mango"]);
  const mango = item(home, ".product", "p-mango");
  expect(mango.dom.textContent).toContain("¥29.90");

  mango.dispatchEvent("tap");
  await settle();
  const product = openPage("pages/product/detail");
  await product.instance.onLoad(navigatedTo().query);
  expect(product.data.product.product_id).toBe("p-mango");
  expect(product.data.skus.map((s) => s.sku_id)).toEqual(["p-mango-1", "p-mango-2"]);
  expect(product.data.skus[0].stock).toBeGreaterThan(0);
  await product.instance.changeQty({ currentTarget: { dataset: { step: "1" } } });
  await product.instance.buyNow();
  expect(navigatedTo().route).toBe("pages/checkout/checkout");

  const checkout = openPage("pages/checkout/checkout");
  await checkout.instance.onLoad({});
  expect(checkout.data.items).toEqual([{ sku_id: "p-mango-1", qty: 2 }]);
  await chooseAddress(checkout);
  expect(checkout.data.preview.total).toBe(2 * 2990 + 800);  // under 99 yuan: 8 yuan freight
  expect(text(checkout, "#total")).toBe("¥67.80");
  const order = await checkout.instance.placeOrder();
  expect(checkout.data.error).toBeNull();
  expect(order.status).toBe("PENDING_PAYMENT");
  expect(privacyAsked()).toBe(1);  // read and accepted before the address left the phone
  const calls = wx.calls.filter((c) => c.api === "cloud.callFunction");
  const accepted = calls.findIndex((c) => c.params.name === "consent_accept");
  expect(calls[accepted].params.data).toEqual({ version: "2026-01", share_contact: true });
  const firstWithAddress = calls.findIndex((c) => c.params.data && c.params.data.address);
  expect(firstWithAddress).toBeGreaterThan(accepted);
  expect(calledFunctions()).toEqual(expect.arrayContaining(["consent_accept", "payment_prepay", "subscribe_accept"]));
  expect(wx.calls.some((c) => c.api === "requestPayment")).toBe(true);

  const shown = navigatedTo("redirectTo");
  expect(shown).toEqual({ route: "pages/orders/detail", query: { id: order.order_id } });
  const detail = openPage("pages/orders/detail");
  await detail.instance.onLoad(shown.query);
  expect(detail.data.order.status).toBe("PAID");
  expect(text(detail, "#status")).toBe("已付款");

  const list = openPage("pages/orders/list");
  await list.instance.onShow();
  await settle();
  expect(list.data.orders.map((o) => [o.order_id, o.status_text])).toEqual([[order.order_id, "已付款"]]);
});

test("the home banner shows the slot on sale now and its tap is counted and opens the product", async () => {
  const { asOperator } = require("./wx-shim");
  const { made, uid } = require("./tidy");
  const now = Date.now();
  const slotId = uid("jest-banner");
  const slot = {
    slot_id: slotId, position: "home_banner", merchant_id: "m-huaxia", product_id: "p-mango",
    title: "芒果季", image_key: "ads/jest.jpg", price: 100,
    starts_at: new Date(now - 3600e3).toISOString(), ends_at: new Date(now + 86400e3).toISOString(),
  };
  const saved = await asOperator("ad_slot_save", slot);
  expect(saved.code).toBe("OK");
  made.slots.push(slot);  // stopped when the file is done (test/tidy.js)
  shopperNamed("jest-banner");
  const home = openPage("pages/index/index");
  await home.instance.onLoad({});
  expect(home.data.banners.map((b) => b.slot_id)).toContain(slotId);
  const index = home.data.banners.findIndex((b) => b.slot_id === slotId);
  home.instance.openBanner({ currentTarget: { dataset: { index } } });
  await settle();
  expect(navigatedTo()).toEqual({ route: "pages/product/detail", query: { id: "p-mango" } });
  const clicks = wx.calls
    .filter((c) => c.api === "cloud.callFunction" && c.params.name === "track")
    .flatMap((c) => c.params.data.events)
    .filter((e) => e.type === "ad_click");
  expect(clicks).toEqual([expect.objectContaining({ slot_id: slotId })]);
});
