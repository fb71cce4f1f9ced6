"""Recommendations through the handlers: co-purchases, for you, popular, never an item that
cannot be bought now, and a rebuild run twice leaves the same result."""

from __future__ import annotations

from retail.common.database import database
from retail.experiments import forget_cached_definitions
from retail.orders import mark_paid

from .harness import call, handler, sample


def admin(name, data):
    return handler(name)(data, {"RETAIL_DEV_OPERATOR": "op1:admin", "environment": "{}"})


def buy(who, skus):
    items = [{"sku_id": sku, "qty": 1} for sku in skus]
    data = {**sample("order_place"), "items": items, "idempotency_key": f"rec-{who}-{skus[0]}"}
    order = call("order_place", data, who)["data"]
    mark_paid(database(), order["order_id"], f"TX-{who}", order["total"])


def rebuild():
    answer = handler("recommend_rebuild")(sample("recommend_rebuild"), {})
    assert answer["code"] == "OK", answer
    return answer["data"]


def ids(answer):
    return [item["product_id"] for item in answer["data"]["items"]]


def test_bought_together_ranks_co_purchases_and_skips_what_cannot_be_bought(seeded):
    for who in ("o-1", "o-2", "o-3"):
        buy(who, ["p-mango-1", "p-blueberry-1"])
    buy("o-4", ["p-mango-1", "p-walnut-1"])
    buy("o-5", ["p-pear-1"])
    assert rebuild()["products_with_pairs"] == 3
    together = call("recommend", {"product_id": "p-mango"}, None)
    assert together["data"]["kind"] == "bought_together"
    assert ids(together)[:2] == ["p-blueberry", "p-walnut"]
    assert "p-mango" not in ids(together)
    assert ids(together)[2] == "p-pear"  # then its category's best sellers
    seeded.stock.update_many({"sku_id": {"$regex": "^p-blueberry"}}, {"$set": {"available": 0}})
    admin("product_publish", {"product_id": "p-walnut", "on_sale": False})
    assert not {"p-blueberry", "p-walnut"} & set(ids(call("recommend", {"product_id": "p-mango"})))
    before = list(seeded.recommendations.find({}))
    rebuild()
    assert list(seeded.recommendations.find({})) == before


def test_for_you_follows_views_and_purchases_and_strangers_get_popular(seeded):
    for who in ("o-1", "o-2"):
        buy(who, ["p-mango-1", "p-blueberry-1"])
    buy("o-3", ["p-pork-1", "p-mango-2"])
    rebuild()
    call("track", {"events": [{"type": "product_view", "product_id": "p-mango"}]}, "o-new")
    mine = call("recommend", {}, "o-new")
    assert mine["data"]["kind"] == "for_you" and ids(mine)[0] == "p-blueberry"
    bought = call("recommend", {}, "o-1")
    assert "p-mango" not in ids(bought) and "p-blueberry" not in ids(bought)
    stranger = call("recommend", {}, None)
    assert stranger["data"]["kind"] == "popular" and ids(stranger)[0] == "p-mango"  # 3 sold
    admin("flag_save", {"flag_id": "recommend-popular-only", "rollout_percent": 100})
    forget_cached_definitions()
    assert call("recommend", {}, "o-new")["data"]["kind"] == "popular"


def test_a_new_shop_recommends_its_catalogue_in_order_until_sales_say_otherwise(seeded):
    """No rebuild has seen a sale yet: the home page shows the catalogue's own order, only
    what can be bought now."""
    shown = call("recommend", {"limit": 4}, "o-first-visitor")["data"]
    on_sale = [
        p["_id"]
        for p in seeded.products.find({"status": "ON_SALE"}, sort=[("rank", 1)])
        if any(
            level["available"] > 0
            for level in seeded.stock.find({"sku_id": {"$in": p["sku_ids"]}, "location": "central"})
        )
    ]
    assert len(on_sale) >= 4
    assert shown["kind"] == "popular" and ids({"data": shown}) == on_sale[:4]
