"""After payment: shipping, receipt, pickup, same-city riders, presale, auto-confirmation."""

from __future__ import annotations

import json
from datetime import timedelta

from retail.adapters.delivery import sign_notification
from retail.common.clock import utcnow
from retail.inventory import audit_stock
from retail.orders import mark_paid

from .harness import as_operator, call, handler, http_event, sample

ADDRESS = sample("order_place")["address"]


def paid_order(db, key="fulfil-key-0001", **changes):
    data = {**sample("order_place"), "idempotency_key": key, **changes}
    order = call("order_place", data)["data"]
    assert mark_paid(db, order["order_id"], f"TX-{key}", order["total"]) is not None
    return order


def test_payment_turns_reserved_stock_into_sold(seeded):
    order = paid_order(seeded)
    level = seeded.stock.find_one({"_id": "p-mango-1@central"})
    assert (level["reserved"], level["sold"]) == (0, 2)
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "PAID"
    assert mark_paid(seeded, order["order_id"], "TX-again", order["total"]) is None
    assert seeded.stock.find_one({"_id": "p-mango-1@central"})["sold"] == 2
    assert audit_stock(seeded) == []


def test_wrong_amount_does_not_pay(seeded):
    order = call("order_place", {**sample("order_place"), "idempotency_key": "amount-key-01"})[
        "data"
    ]
    assert mark_paid(seeded, order["order_id"], "TX-1", order["total"] - 1) is None
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "PENDING_PAYMENT"


def test_merchant_ships_only_its_own_orders_then_buyer_confirms(seeded):
    eggs = paid_order(seeded, "ship-key-0001", items=[{"sku_id": "p-eggs-1", "qty": 1}])
    ship = {"order_id": eggs["order_id"], "carrier": "SF", "tracking_no": "SF1234567890"}
    assert as_operator("order_ship", ship, "merchant:m-huaxia")["code"] == "NOT_FOUND"
    assert call("order_ship", ship)["code"] == "UNAUTHENTICATED"
    shipped = as_operator("order_ship", ship, "merchant:m-self")
    assert shipped["code"] == "OK" and shipped["data"]["status"] == "SHIPPED"
    assert shipped["data"]["tracking"][0]["status"] == "SHIPPED"
    again = as_operator("order_ship", ship, "admin")  # a retry gets the same answer
    assert again["code"] == "OK" and len(again["data"]["tracking"]) == 1
    other = {**ship, "tracking_no": "SF0000000001"}
    assert as_operator("order_ship", other, "admin")["code"] == "CONFLICT"
    assert (
        call("order_confirm", {"order_id": eggs["order_id"]}, openid="o-other")["code"]
        == "NOT_FOUND"
    )
    done = call("order_confirm", {"order_id": eggs["order_id"]})
    assert done["data"]["status"] == "COMPLETED"
    assert call("order_confirm", {"order_id": eggs["order_id"]})["data"]["status"] == "COMPLETED"
    assert audit_stock(seeded) == []


def test_unpaid_order_cannot_be_shipped(seeded):
    order = call("order_place", {**sample("order_place"), "idempotency_key": "unpaid-key-01"})[
        "data"
    ]
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF1234567890"}
    assert as_operator("order_ship", ship, "admin")["code"] == "CONFLICT"


def test_auto_confirmation_after_n_days_runs_once(seeded):
    order = paid_order(seeded)
    as_operator(
        "order_ship",
        {"order_id": order["order_id"], "carrier": "YTO", "tracking_no": "YT0000001"},
        "admin",
    )
    timer = handler("order_autoconfirm")
    assert timer(sample("order_autoconfirm"), {})["data"]["processed"] == 0
    seeded.orders.update_one(
        {"_id": order["order_id"]}, {"$set": {"shipped_at": utcnow() - timedelta(days=11)}}
    )
    assert timer(sample("order_autoconfirm"), {})["data"]["processed"] == 1
    assert timer(sample("order_autoconfirm"), {})["data"]["processed"] == 0
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "COMPLETED"


def test_store_staff_hand_over_a_pickup_order_against_its_code(seeded):
    data = {
        "items": [{"sku_id": "p-eggs-1", "qty": 2}],
        "idempotency_key": "pickup-key-001",
        "delivery": "pickup",
        "store_id": "s-nanping",
    }
    order = call("order_place", data)["data"]
    check = {"store_id": "s-nanping", "pickup_code": order["pickup_code"]}
    assert as_operator("order_pickup_verify", check, "service")["code"] == "NOT_FOUND"  # unpaid
    mark_paid(seeded, order["order_id"], "TX-pickup", order["total"])
    wrong = {**check, "pickup_code": f"{(int(order['pickup_code']) + 1) % 10**6:06d}"}
    assert as_operator("order_pickup_verify", wrong, "service")["code"] == "NOT_FOUND"
    done = as_operator("order_pickup_verify", check, "service")
    assert done["data"]["status"] == "COMPLETED"
    level = seeded.stock.find_one({"_id": "p-eggs-1@s-nanping"})
    assert (level["reserved"], level["sold"]) == (0, 2)
    assert audit_stock(seeded) == []


def rider_event(order, status, signature=None):
    body = json.dumps(
        {
            "delivery_id": order["delivery_id"],
            "order_id": order["_id"],
            "status": status,
            "rider_name": "小刘",
        }
    )
    headers = {"X-Delivery-Signature": signature or sign_notification(body.encode())}
    return http_event(body, headers)


def test_instant_order_books_a_rider_and_follows_its_updates(seeded):
    point = {**ADDRESS, "latitude": 25.0402, "longitude": 102.7115}
    order = paid_order(
        seeded,
        "instant-key-01",
        delivery="instant",
        address=point,
        items=[{"sku_id": "p-mango-1", "qty": 1}],
    )
    doc = seeded.orders.find_one({"_id": order["order_id"]})
    assert doc["delivery_id"] and doc["tracking"][0]["status"] == "DISPATCHED"
    notify = handler("delivery_notify")
    forged = notify(rider_event(doc, "DELIVERED", signature="0" * 64), {})
    assert forged["statusCode"] == 401
    assert seeded.orders.find_one({"_id": doc["_id"]})["status"] == "PAID"
    for status in ("ACCEPTED", "PICKED_UP", "PICKED_UP", "DELIVERED"):
        assert notify(rider_event(doc, status), {})["statusCode"] == 200
    final = seeded.orders.find_one({"_id": doc["_id"]})
    assert final["status"] == "COMPLETED"
    assert [t["status"] for t in final["tracking"]] == [
        "DISPATCHED",
        "ACCEPTED",
        "PICKED_UP",
        "DELIVERED",
    ]


def test_presale_sells_from_its_quota_and_ships_on_its_date(seeded):
    order = paid_order(seeded, "presale-key-01", items=[{"sku_id": "p-mooncake-1", "qty": 2}])
    assert order["ship_on"] == "2027-09-01" and order["lines"][0]["location"] == "presale"
    quota = seeded.stock.find_one({"_id": "p-mooncake-1@presale"})
    assert (quota["available"], quota["sold"]) == (498, 2)
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF0000000001"}
    early = as_operator("order_ship", ship, "admin")
    assert early["code"] == "CONFLICT" and early["details"]["ship_on"] == "2027-09-01"
    pickup = {
        "items": [{"sku_id": "p-mooncake-1", "qty": 1}],
        "idempotency_key": "presale-key-02",
        "delivery": "pickup",
        "store_id": "s-nanping",
    }
    assert call("order_place", pickup)["code"] == "INVALID_ARGUMENT"


def test_each_merchant_ships_its_own_parcel_and_the_order_completes_when_all_arrive(seeded):
    order = paid_order(seeded, "parcel-key-0001")  # mango (m-huaxia) and eggs (m-self)
    first = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF1111111111"}
    shipped = as_operator("order_ship", first, "merchant:m-huaxia")
    assert shipped["code"] == "OK" and shipped["data"]["status"] == "SHIPPED"
    assert list(shipped["data"]["parcels"]) == ["m-huaxia"]
    assert shipped["data"]["tracking"][-1]["merchant_id"] == "m-huaxia"
    waiting = call("order_confirm", {"order_id": order["order_id"]})
    assert waiting["code"] == "CONFLICT" and waiting["details"]["waiting"] == ["m-self"]
    seeded.orders.update_one(
        {"_id": order["order_id"]},
        {"$set": {"parcels.m-huaxia.shipped_at": utcnow() - timedelta(days=30)}},
    )
    assert handler("order_autoconfirm")(sample("order_autoconfirm"), {})["data"]["processed"] == 0
    second = {"order_id": order["order_id"], "carrier": "YTO", "tracking_no": "YT2222222222"}
    assert as_operator("order_ship", second, "merchant:m-self")["code"] == "OK"
    done = call("order_confirm", {"order_id": order["order_id"]})["data"]
    assert done["status"] == "COMPLETED"
    assert {m: p["status"] for m, p in done["parcels"].items()} == {
        "m-huaxia": "DELIVERED",
        "m-self": "DELIVERED",
    }
    assert {p["tracking_no"] for p in done["parcels"].values()} == {"SF1111111111", "YT2222222222"}
    assert audit_stock(seeded) == []
