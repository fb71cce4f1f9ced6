"""Orders through their handlers: pricing, placing, idempotency, bad input, cancel, expiry."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from retail.common.clock import utcnow
from retail.inventory import audit_stock

from .harness import call, handler, sample

BUYER = "o-test-user"  # the harness's default caller


def stock(db, sku_id, location="central"):
    return db.stock.find_one({"_id": f"{sku_id}@{location}"})


def place(data, openid=BUYER):
    return call("order_place", data, openid=openid)


def order_data(key="order-key-0001", **changes):
    data = sample("order_place")
    data["idempotency_key"] = key
    data.update(changes)
    return data


def test_preview_prices_exactly_as_place_charges(seeded):
    preview = call("order_preview", sample("order_preview"))["data"]
    placed = place(order_data())["data"]
    for field in ("goods_amount", "freight", "discount", "total", "lines"):
        assert preview[field] == placed[field]
    assert placed["total"] == 2 * 2990 + 1990 + 800
    assert seeded.orders.count_documents({}) == 1


def test_place_reserves_stock_and_waits_for_payment(seeded):
    answer = place(order_data())
    order = answer["data"]
    assert answer["code"] == "OK" and order["status"] == "PENDING_PAYMENT"
    assert order["out_trade_no"] == order["order_id"] and order["pay_deadline"]
    level = stock(seeded, "p-mango-1")
    assert (level["available"], level["reserved"]) == (198, 2)
    assert audit_stock(seeded) == []


def test_free_shipping_over_the_threshold(seeded):
    data = order_data(items=[{"sku_id": "p-puer-1", "qty": 1}])
    assert place(data)["data"]["freight"] == 0


def test_retry_with_the_same_key_returns_the_same_order(seeded):
    first = place(order_data())["data"]
    again = place(order_data())["data"]
    assert again["order_id"] == first["order_id"]
    assert seeded.orders.count_documents({}) == 1 and stock(seeded, "p-mango-1")["reserved"] == 2


@pytest.mark.parametrize(
    ("what_changed", "new_order_answer"),
    [
        (lambda db: db.products.update_many({}, {"$set": {"status": "OFF_SALE"}}), "NOT_FOUND"),
        (lambda db: db.blacklist.insert_one({"_id": f"openid:{BUYER}"}), "FORBIDDEN"),
    ],
    ids=["off sale", "blacklisted"],
)
def test_a_retry_gets_its_order_whatever_would_refuse_a_new_one_now(
    seeded, what_changed, new_order_answer
):
    """No read of the key comes first: a refusal looks for the key's order before it answers."""
    first = place(order_data())["data"]
    what_changed(seeded)
    again = place(order_data())
    assert again["code"] == "OK" and again["data"]["order_id"] == first["order_id"]
    assert place(order_data(key="order-key-0002"))["code"] == new_order_answer
    assert seeded.orders.count_documents({}) == 1


def test_same_key_for_a_different_order_is_a_conflict(seeded):
    place(order_data())
    other = place(order_data(items=[{"sku_id": "p-eggs-1", "qty": 5}]))
    assert other["code"] == "CONFLICT"


def test_lines_are_merged_by_sku(seeded):
    data = order_data(items=[{"sku_id": "p-eggs-1", "qty": 2}, {"sku_id": "p-eggs-1", "qty": 3}])
    lines = place(data)["data"]["lines"]
    assert [(line["sku_id"], line["qty"]) for line in lines] == [("p-eggs-1", 5)]


def test_second_line_out_of_stock_leaves_the_first_lines_stock_untouched(seeded):
    seeded.stock.update_one(
        {"_id": "p-mango-1@central"}, {"$set": {"available": 1, "adjusted": 199}}
    )
    before = stock(seeded, "p-eggs-1")
    answer = place(order_data())  # p-eggs-1 (reserved first, SKU order), then p-mango-1 x2
    assert answer["code"] == "OUT_OF_STOCK" and answer["details"]["sku_id"] == "p-mango-1"
    counts = ("available", "reserved", "sold")
    assert [stock(seeded, "p-eggs-1")[k] for k in counts] == [before[k] for k in counts]
    order = seeded.orders.find_one({})
    assert order["status"] == "FAILED" and order["failure"]["sku_id"] == "p-mango-1"
    assert audit_stock(seeded) == []
    assert place(order_data())["code"] == "OUT_OF_STOCK"  # a retry gets the same answer


ADDRESS = sample("order_place")["address"]
BAD = {
    "unknown sku": (lambda d: d["items"].append({"sku_id": "p-nope-1", "qty": 1}), "NOT_FOUND"),
    "qty 0": (lambda d: d["items"][0].update(qty=0), "INVALID_ARGUMENT"),
    "qty 1000": (lambda d: d["items"][0].update(qty=1000), "INVALID_ARGUMENT"),
    "merged qty 100": (
        lambda d: d.update(items=[{"sku_id": "p-eggs-1", "qty": 60}] * 2),
        "INVALID_ARGUMENT",
    ),
    "51 lines": (
        lambda d: d.update(items=[{"sku_id": "p-eggs-1", "qty": 1}] * 51),
        "INVALID_ARGUMENT",
    ),
    "no lines": (lambda d: d.update(items=[]), "INVALID_ARGUMENT"),
    "qty as text": (lambda d: d["items"][0].update(qty="2"), "INVALID_ARGUMENT"),
    "client price": (lambda d: d["items"][0].update(price=1), "INVALID_ARGUMENT"),
    "client total": (lambda d: d.update(total=1), "INVALID_ARGUMENT"),
    "operator as id": (lambda d: d["items"][0].update(sku_id={"$gt": ""}), "INVALID_ARGUMENT"),
    "express without address": (lambda d: d.pop("address"), "INVALID_ARGUMENT"),
    "short key": (lambda d: d.update(idempotency_key="k"), "INVALID_ARGUMENT"),
    "pickup without store": (lambda d: d.update(delivery="pickup"), "INVALID_ARGUMENT"),
    "pickup at unknown store": (
        lambda d: d.update(delivery="pickup", store_id="s-none"),
        "NOT_FOUND",
    ),
    "instant without a point": (lambda d: d.update(delivery="instant"), "INVALID_ARGUMENT"),
    "instant too far": (
        lambda d: d.update(
            delivery="instant", address={**ADDRESS, "latitude": 26.5, "longitude": 101.7}
        ),
        "INVALID_ARGUMENT",
    ),
    "unknown coupon": (lambda d: d.update(coupon_id="cp-none"), "NOT_FOUND"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_order_input_gets_a_typed_error_and_writes_nothing(seeded, case):
    mutate, code = BAD[case]
    data = copy.deepcopy(order_data())
    mutate(data)
    before = list(seeded.stock.find({}))
    answer = place(data)
    assert answer["code"] == code, answer
    assert seeded.orders.count_documents({}) == 0
    assert list(seeded.stock.find({})) == before


def test_pickup_reserves_at_the_store_and_gives_a_pickup_code(seeded):
    data = order_data(
        delivery="pickup", store_id="s-cuihu", items=[{"sku_id": "p-eggs-1", "qty": 3}]
    )
    data.pop("address")
    order = place(data)["data"]
    assert order["freight"] == 0 and len(order["pickup_code"]) == 6
    assert order["lines"][0]["location"] == "s-cuihu"
    assert stock(seeded, "p-eggs-1", "s-cuihu")["reserved"] == 3
    assert stock(seeded, "p-eggs-1")["reserved"] == 0


def test_instant_picks_the_nearest_store_within_the_radius(seeded):
    point = {**ADDRESS, "latitude": 25.0402, "longitude": 102.7115}
    order = place(
        order_data(delivery="instant", address=point, items=[{"sku_id": "p-mango-1", "qty": 1}])
    )["data"]
    assert order["store_id"] == "s-nanping" and order["distance_m"] < 300
    assert order["freight"] == 500
    assert stock(seeded, "p-mango-1", "s-nanping")["reserved"] == 1


def test_orders_are_private_to_their_buyer(seeded):
    order_id = place(order_data())["data"]["order_id"]
    assert call("order_get", {"order_id": order_id})["data"]["order_id"] == order_id
    assert call("order_get", {"order_id": order_id}, openid="o-other")["code"] == "NOT_FOUND"
    assert call("order_cancel", {"order_id": order_id}, openid="o-other")["code"] == "NOT_FOUND"
    assert call("order_list", {}, openid="o-other")["data"]["items"] == []


def test_order_list_pages_by_cursor_newest_first(seeded):
    ids = [
        place(order_data(f"paging-key-{i:04d}", items=[{"sku_id": "p-eggs-1", "qty": 1}]))["data"][
            "order_id"
        ]
        for i in range(5)
    ]
    seen, cursor = [], None
    while True:
        page = call("order_list", {"page_size": 2, **({"cursor": cursor} if cursor else {})})[
            "data"
        ]
        seen += [o["order_id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    everything = [o["order_id"] for o in call("order_list", {"page_size": 50})["data"]["items"]]
    assert seen == everything and sorted(seen) == sorted(ids)
    created = [seeded.orders.find_one({"_id": i})["created_at"] for i in seen]
    assert created == sorted(created, reverse=True)
    assert call("order_list", {"cursor": "garbage"})["code"] == "INVALID_ARGUMENT"
    only = call("order_list", {"status": "CANCELLED"})["data"]["items"]
    assert only == []


def test_cancel_gives_stock_back_exactly_once(seeded):
    order_id = place(order_data())["data"]["order_id"]
    first = call("order_cancel", {"order_id": order_id})
    second = call("order_cancel", {"order_id": order_id})
    assert first["data"]["status"] == second["data"]["status"] == "CANCELLED"
    level = stock(seeded, "p-mango-1")
    assert (level["available"], level["reserved"]) == (200, 0)
    assert audit_stock(seeded) == []


def _expire_now(db):
    db.orders.update_many(
        {"status": "PENDING_PAYMENT"}, {"$set": {"pay_deadline": utcnow() - timedelta(seconds=1)}}
    )


def test_expiry_cancels_overdue_orders_once(seeded):
    for i in range(3):
        place(order_data(f"expiry-key-{i:04d}"))
    fresh = place(order_data("expiry-key-fresh", items=[{"sku_id": "p-eggs-1", "qty": 1}]))
    _expire_now(seeded)
    seeded.orders.update_one(
        {"_id": fresh["data"]["order_id"]},
        {"$set": {"pay_deadline": utcnow() + timedelta(minutes=5)}},
    )
    timer = handler("order_expire")
    first = timer(sample("order_expire"), {"time_limit_in_ms": 60_000})
    assert first["code"] == "OK" and first["data"]["processed"] == 3
    again = timer(sample("order_expire"), {})
    assert again["data"]["processed"] == 0
    assert stock(seeded, "p-mango-1")["reserved"] == 0
    assert seeded.orders.count_documents({"status": "PENDING_PAYMENT"}) == 1
    assert audit_stock(seeded) == []


def test_timer_functions_refuse_other_triggers(seeded):
    assert call("order_expire", {})["code"] == "UNAUTHENTICATED"


def test_cart_keeps_quantities_and_shows_current_prices(seeded):
    call("cart_update", {"sku_id": "p-mango-1", "qty": 2})
    call("cart_update", {"sku_id": "p-eggs-1", "qty": 1})
    call("cart_update", {"sku_id": "p-mango-1", "qty": 3})
    seeded.skus.update_one({"_id": "p-eggs-1"}, {"$set": {"price": 2100}})
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"status": "OFF_SALE"}})
    cart = call("cart_list", {})["data"]
    lines = {line["sku_id"]: line for line in cart["items"]}
    assert lines["p-eggs-1"]["price"] == 2100 and lines["p-eggs-1"]["available"]
    assert lines["p-mango-1"]["qty"] == 3 and not lines["p-mango-1"]["available"]
    assert cart["goods_amount"] == 2100
    call("cart_update", {"sku_id": "p-eggs-1", "qty": 0})
    assert [line["sku_id"] for line in call("cart_list", {})["data"]["items"]] == ["p-mango-1"]


def test_cart_bounds(seeded):
    assert call("cart_update", {"sku_id": "p-eggs-1", "qty": 100})["code"] == "INVALID_ARGUMENT"
    assert call("cart_update", {"sku_id": "p-none-1", "qty": 1})["code"] == "NOT_FOUND"
    seeded.carts.insert_one({"_id": BUYER, "items": {f"x{i}": 1 for i in range(50)}, "count": 50})
    assert call("cart_update", {"sku_id": "p-eggs-1", "qty": 1})["code"] == "INVALID_ARGUMENT"
