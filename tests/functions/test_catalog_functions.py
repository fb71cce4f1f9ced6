"""catalog_browse, catalog_product and store_nearby through their handlers."""

from __future__ import annotations

import pytest

from .harness import as_operator, call, sample


def test_browse_pages_through_everything_once(seeded):
    seen, page = [], 1
    while True:
        data = call("catalog_browse", {"page": page, "page_size": 7})["data"]
        seen += [i["product_id"] for i in data["items"]]
        if not data["has_more"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == seeded.products.count_documents({})


def test_browse_filters_by_category_and_keyword(seeded):
    fruit = call("catalog_browse", {"category_id": "fruit", "page_size": 50})["data"]["items"]
    assert fruit and all(i["category_id"] == "fruit" for i in fruit)
    found = call("catalog_browse", {"keyword": "芒果"})["data"]["items"]
    assert [i["product_id"] for i in found] == ["p-mango"]
    assert call("catalog_browse", {"keyword": ".*"})["data"]["items"] == []


def test_browse_sorts_by_price_and_sales(seeded):
    prices = [
        i["price"]
        for i in call("catalog_browse", {"sort": "price", "page_size": 50})["data"]["items"]
    ]
    assert prices == sorted(prices)
    seeded.products.update_one({"_id": "p-honey"}, {"$set": {"sales": 999}})
    top = call("catalog_browse", {"sort": "sales", "page_size": 1})["data"]["items"][0]
    assert top["product_id"] == "p-honey"


def test_browse_marks_products_without_stock(seeded):
    seeded.stock.update_many({"sku_id": "p-coffee-1"}, {"$set": {"available": 0}})
    items = call("catalog_browse", {"category_id": "yunnan", "page_size": 50})["data"]["items"]
    assert {i["product_id"]: i["in_stock"] for i in items}["p-coffee"] is False


def test_product_shows_skus_with_available_stock(seeded):
    data = call("catalog_product", sample("catalog_product"))["data"]
    assert [s["sku_id"] for s in data["skus"]] == ["p-mango-1", "p-mango-2"]
    assert data["skus"][0]["stock"] == 200 and data["skus"][0]["store_stock"]["s-nanping"] == 20
    assert data["price"] == 2990


def test_product_shows_the_group_deals_a_shopper_can_open_a_group_with(seeded):
    deals = call("catalog_product", {"product_id": "p-honey"})["data"]["group_deals"]
    assert deals == [
        {"deal_id": "g-honey-3", "sku_id": "p-honey-1", "group_price": 4800, "size": 3, "hours": 24}
    ]
    seeded.group_deals.update_one({"_id": "g-honey-3"}, {"$set": {"status": "ENDED"}})
    assert call("catalog_product", {"product_id": "p-honey"})["data"]["group_deals"] == []
    assert call("catalog_product", sample("catalog_product"))["data"]["group_deals"] == []


def test_unknown_or_unpublished_product_is_not_found(seeded):
    assert call("catalog_product", {"product_id": "p-none"})["code"] == "NOT_FOUND"
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"status": "OFF_SALE"}})
    assert call("catalog_product", {"product_id": "p-mango"})["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("role", "sees"),
    [("admin", True), ("merchant:m-huaxia", True), ("merchant:m-self", False), ("service", False)],
)
def test_a_product_off_sale_is_shown_only_to_operators_who_may_edit_it(seeded, role, sees):
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"status": "OFF_SALE"}})
    shown = as_operator("catalog_product", {"product_id": "p-mango"}, role)
    assert shown["code"] == ("OK" if sees else "NOT_FOUND")
    if sees:
        assert shown["data"]["status"] == "OFF_SALE"
    listed = as_operator("catalog_browse", {"keyword": "芒果"}, role)["data"]["items"]
    assert [(i["product_id"], i["status"]) for i in listed] == (
        [("p-mango", "OFF_SALE")] if sees else []
    )
    assert call("catalog_browse", {"keyword": "芒果"})["data"]["items"] == []  # shoppers


def test_nearby_stores_are_sorted_by_distance_within_radius(seeded):
    stores = call("store_nearby", sample("store_nearby"))["data"]["stores"]
    assert [s["store_id"] for s in stores] == ["s-nanping", "s-cuihu", "s-shijicheng"]
    assert stores[0]["distance_m"] < 300
    far = call("store_nearby", {"latitude": 24.84, "longitude": 102.84, "radius_km": 1})["data"]
    assert [s["store_id"] for s in far["stores"]] == ["s-chenggong"]


def test_nearby_refuses_impossible_coordinates(seeded):
    assert call("store_nearby", {"latitude": 91, "longitude": 0})["code"] == "INVALID_ARGUMENT"
    assert (
        call("store_nearby", {"latitude": 1, "longitude": 1, "radius_km": 51})["code"]
        == "INVALID_ARGUMENT"
    )


def test_browse_lists_the_categories_in_order_on_the_first_page_only(seeded):
    first = call("catalog_browse", {"page_size": 5})["data"]
    names = [c["category_id"] for c in first["categories"]]
    assert names[:3] == ["fruit", "veg", "meat"] and first["categories"][0]["name"] == "时令水果"
    assert call("catalog_browse", {"page": 2, "page_size": 5})["data"]["categories"] == []
