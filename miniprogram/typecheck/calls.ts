// Compiled by tsc in the tests, never run: what the typed client accepts and refuses.
import { call, RetailError } from "../lib/retail";

export async function typedCalls(): Promise<void> {
  const stores = await call("store_nearby", { latitude: 25.04, longitude: 102.71 });
  const metres: number = stores.stores[0].distance_m;
  const page = await call("catalog_browse", { sort: "sales", page: 1 });
  const more: boolean = page.has_more;
  const placed = await call("order_place", {
    items: [{ sku_id: "p-mango-1", qty: 1 }],
    delivery: "pickup",
    store_id: "s-cuihu",
    idempotency_key: "typed-0001",
  });
  const orderId: string = placed.order_id;
  void [metres, more, orderId];

  // @ts-expect-error: no such function
  await call("catalog_browse_all", {});
  // @ts-expect-error: latitude is a number
  await call("store_nearby", { latitude: "25.04", longitude: 102.71 });
  // @ts-expect-error: the request model forbids unknown fields
  await call("cart_update", { sku_id: "p-mango-1", qty: 1, price: 1 });
  // @ts-expect-error: sort is one of the listed orders
  await call("catalog_browse", { sort: "cheapest" });

  try {
    await call("order_place", { items: [], idempotency_key: "typed-0002" });
  } catch (error) {
    if (error instanceof RetailError && error.reason === "CONSENT_REQUIRED") {
      const code: "FORBIDDEN" | string = error.code;
      void code;
    }
    // @ts-expect-error: not a reason the back end gives
    if (error instanceof RetailError && error.reason === "NO_SUCH_REASON") return;
  }
}
