"""What one merchant sees of a marketplace order, and store staff handing over pickups: no
merchant reads another's money, and no pickup code hands over the wrong order."""

from __future__ import annotations

from unittest import mock

from retail.common.database import database
from retail.orders import mark_paid

from .harness import as_operator, call, paid_order


def test_a_merchant_sees_its_own_share_of_a_two_merchant_order(seeded):
    order = paid_order("two-merchants-01")  # p-mango-1 x2 (m-huaxia) and p-eggs-1 (m-self)
    call(
        "refund_request",
        {"order_id": order["order_id"], "merchant_id": "m-self", "reason": "不要鸡蛋了"},
    )
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert set(stored["parcel_refunds"]) == {"m-self"}
    for merchant, goods in (("m-huaxia", 2 * 2990), ("m-self", 1990)):
        found = as_operator("order_search", {"order_id": order["order_id"]}, f"merchant:{merchant}")
        view = found["data"]["orders"][0]
        assert view["total"] == goods != stored["total"]
        assert {ln["merchant_id"] for ln in view["lines"]} == {merchant}
        assert set(view["parcel_refunds"] or {}) <= {merchant}
    huaxia = as_operator("order_search", {"order_id": order["order_id"]}, "merchant:m-huaxia")
    assert huaxia["data"]["orders"][0]["parcel_refunds"] == {}
    admin = as_operator("order_search", {"order_id": order["order_id"]})["data"]["orders"][0]
    assert admin["total"] == stored["total"] and len(admin["lines"]) == 2


def test_shipping_its_parcel_shows_a_merchant_only_its_share(seeded):
    order = paid_order("two-merchants-03")
    call(
        "refund_request",
        {"order_id": order["order_id"], "merchant_id": "m-huaxia", "reason": "芒果不要了"},
    )
    as_operator(
        "order_ship",
        {"order_id": order["order_id"], "carrier": "ZTO", "tracking_no": "ZTO1111"},
        "merchant:m-huaxia",
    )
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF20000003"}
    for _ in range(2):  # shipping again with the same number answers the same view
        view = as_operator("order_ship", ship, "merchant:m-self")["data"]
        assert [ln["merchant_id"] for ln in view["lines"]] == ["m-self"]
        assert view["total"] == view["goods_amount"] == 1990
        assert set(view["parcels"]) == {"m-self"} and view["parcel_refunds"] == {}
        assert view["tracking_no"] == "SF20000003"
        assert all(t.get("merchant_id") in (None, "m-self") for t in view["tracking"])
    found = as_operator("order_search", {"order_id": order["order_id"]}, "merchant:m-self")
    assert found["data"]["orders"][0]["tracking_no"] == "SF20000003"


def test_a_refund_request_of_another_merchants_parcel_is_not_in_a_merchants_queue(seeded):
    order = paid_order("two-merchants-02")
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF20000002"}
    assert as_operator("order_ship", ship, "merchant:m-self")["code"] == "OK"
    asked = call(
        "refund_request",
        {"order_id": order["order_id"], "merchant_id": "m-self", "reason": "鸡蛋碎了"},
    )
    assert asked["code"] == "OK", asked
    queue = {"refund_request_status": "REQUESTED"}
    mine = as_operator("order_search", queue, "merchant:m-self")["data"]["orders"]
    assert [o["refund_request"]["merchant_id"] for o in mine] == ["m-self"]
    assert as_operator("order_search", queue, "merchant:m-huaxia")["data"]["orders"] == []


def _pickup(key: str) -> dict:
    data = {
        "items": [{"sku_id": "p-eggs-1", "qty": 1}],
        "idempotency_key": key,
        "delivery": "pickup",
        "store_id": "s-nanping",
    }
    order = call("order_place", data, openid=f"o-{key}")["data"]
    assert mark_paid(database(), order["order_id"], f"TX-{key}", order["total"])
    return order


def test_a_new_pickup_code_is_one_no_open_order_at_the_store_holds(seeded):
    draws = iter([123456, 123456, 654321])
    with mock.patch("retail.orders.pickup_codes.secrets.randbelow", lambda _: next(draws)):
        first = _pickup("pickup-a")
        second = _pickup("pickup-b")
    assert (first["pickup_code"], second["pickup_code"]) == ("123456", "654321")


def test_a_code_two_paid_orders_share_hands_over_neither_without_the_order_id(seeded):
    with (
        mock.patch("retail.orders.pickup_codes.DRAWS", 1),
        mock.patch("retail.orders.pickup_codes.secrets.randbelow", lambda _: 777777),
    ):
        first = _pickup("pickup-c")
        second = _pickup("pickup-d")
    assert first["pickup_code"] == second["pickup_code"] == "777777"
    check = {"store_id": "s-nanping", "pickup_code": "777777"}
    shared = as_operator("order_pickup_verify", check, "service")
    assert shared["code"] == "CONFLICT" and shared["details"]["reason"] == "PICKUP_CODE_SHARED"
    assert seeded.orders.count_documents({"pickup_code": "777777", "status": "PAID"}) == 2
    named = as_operator("order_pickup_verify", {**check, "order_id": second["order_id"]}, "service")
    assert named["data"]["order_id"] == second["order_id"]
    assert named["data"]["status"] == "COMPLETED"
    assert seeded.orders.find_one({"_id": first["order_id"]})["status"] == "PAID"
    # Once one is handed over, the code names one order again.
    assert (
        as_operator("order_pickup_verify", check, "service")["data"]["order_id"]
        == (first["order_id"])
    )
