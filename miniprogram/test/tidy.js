// What each test file leaves in the shop it ran against: its own products back off sale, its
// ad slots stopped, its shoppers' open orders ended (unpaid ones cancelled, paid ones not yet
// shipped refunded), so the demo looks as it did and every test passes again, in any order.
const { asOperator, post } = require("./wx-shim");

const made = { shoppers: [], products: [], slots: [] };

/** A unique id for what a test makes (products, slots, idempotency keys). */
function uid(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A product of the test's own, on sale: one SKU with `central` units in the warehouse and
 * `atStores` units at each of the demo's stores. */
async function ownProduct(prefix, { central = 10, atStores = 0, price = 1290 } = {}) {
  const productId = uid(prefix);
  const stores = ["s-nanping", "s-cuihu", "s-shijicheng", "s-chenggong"];
  const saved = await asOperator("product_save", {
    product_id: productId, merchant_id: "m-self", category_id: "grain", title: `测试商品 ${productId}`,
    skus: [{ sku_id: `${productId}-1`, spec: "1件", price, stock: central,
      store_stock: atStores ? Object.fromEntries(stores.map((s) => [s, atStores])) : {} }],
  });
  if (saved.code !== "OK") throw new Error(`product_save: ${JSON.stringify(saved)}`);
  made.products.push(productId);
  return { product_id: productId, sku_id: `${productId}-1` };
}

async function endOpenOrders(openid) {
  const buyer = { "X-Dev-Openid": openid };
  const listed = await post("/fn/order_list", {}, buyer);
  for (const order of (listed.data && listed.data.items) || []) {
    if (order.status === "PENDING_PAYMENT") {
      await post("/fn/order_cancel", { order_id: order.order_id }, buyer);
    } else if (order.status === "PAID") {
      const asked = await post("/fn/refund_request", { order_id: order.order_id, reason: "jest: tidy up" }, buyer);
      if (asked.code === "OK" && asked.data.status === "REFUNDING") {
        await post(`/dev/refund/R${order.order_id}/SUCCESS`, {});
      }
    }
  }
}

async function tidyUp() {
  for (const openid of made.shoppers.splice(0)) await endOpenOrders(openid);
  for (const productId of made.products.splice(0)) {
    await asOperator("product_publish", { product_id: productId, on_sale: false });
  }
  for (const slot of made.slots.splice(0)) await asOperator("ad_slot_save", { ...slot, active: false });
}

module.exports = { made, uid, ownProduct, tidyUp };
