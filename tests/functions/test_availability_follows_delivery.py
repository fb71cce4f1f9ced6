"""The cart and the preview judge stock where order_place takes it for the chosen delivery:
express from the warehouse, instant and pickup from the store (issue 16.3)."""

from __future__ import annotations

from .harness import call, sample

ADDRESS = sample("order_place")["address"]
NEAR_NANPING = {**ADDRESS, "latitude": 25.0402, "longitude": 102.7115}


def _central(db, sku_id, units):
    db.stock.update_one(
        {"_id": f"{sku_id}@central"}, {"$set": {"available": units, "received": units}}
    )


def _line(cart, sku_id):
    return next(line for line in cart["items"] if line["sku_id"] == sku_id)


def test_31_units_with_30_in_the_warehouse_are_refused_alike_by_cart_preview_and_order(seeded):
    _central(seeded, "p-pork-1", 30)  # the stores hold 52 more, which express cannot use
    items = [{"sku_id": "p-pork-1", "qty": 31}]
    cart = call("cart_update", {"sku_id": "p-pork-1", "qty": 31})["data"]
    assert _line(cart, "p-pork-1")["available"] is False
    assert _line(cart, "p-pork-1")["reason"] == "not enough stock"
    preview = call("order_preview", {"items": items, "address": ADDRESS})
    assert preview["code"] == "OUT_OF_STOCK" and preview["details"]["sku_id"] == "p-pork-1"
    assert preview["details"]["location"] == "central"
    placed = call(
        "order_place", {"items": items, "address": ADDRESS, "idempotency_key": "pork-31-units"}
    )
    assert placed["code"] == "OUT_OF_STOCK"
    fits = [{"sku_id": "p-pork-1", "qty": 30}]
    assert call("order_preview", {"items": fits, "address": ADDRESS})["code"] == "OK"
    assert _line(call("cart_update", {"sku_id": "p-pork-1", "qty": 30})["data"], "p-pork-1")[
        "available"
    ]


def test_instant_delivery_of_goods_the_store_does_not_stock_is_refused_alike(seeded):
    items = [{"sku_id": "p-milk-1", "qty": 1}]  # milk is only in the warehouse
    express = call("cart_update", {"sku_id": "p-milk-1", "qty": 1})["data"]
    assert _line(express, "p-milk-1")["available"] is True
    instant = call("cart_list", {"delivery": "instant", "store_id": "s-nanping"})["data"]
    assert _line(instant, "p-milk-1")["available"] is False
    request = {"items": items, "delivery": "instant", "address": NEAR_NANPING}
    preview = call("order_preview", request)
    assert preview["code"] == "OUT_OF_STOCK" and preview["details"]["location"] == "s-nanping"
    placed = call("order_place", {**request, "idempotency_key": "milk-instant-1"})
    assert placed["code"] == "OUT_OF_STOCK"
    pickup = {"items": items, "delivery": "pickup", "store_id": "s-nanping"}
    assert call("order_preview", pickup)["code"] == "OUT_OF_STOCK"


def test_the_cart_needs_a_store_to_judge_store_delivery(seeded):
    answer = call("cart_list", {"delivery": "pickup"})
    assert answer["code"] == "INVALID_ARGUMENT"
