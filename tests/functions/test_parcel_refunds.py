"""Refunds follow the parcels: one merchant's parcel of an order with goods from several
merchants is refunded alone (its share of the payment, its stock if it never left, its
statement lines), and the rest of the order goes on."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from retail.inventory import audit_stock
from retail.members import award_points
from retail.orders.parcel_refunds import start_parcel_refund
from retail.orders.records import parcel_share
from retail.payments import sandbox
from retail.payments.refunds import parcel_refund_no
from retail.settlement.statements import SettleDay, run_settlement

from .harness import call, handler, sample
from .test_fulfilment_functions import operator_call
from .test_money_exactly_once import BUYER, _paid

# The sample order: mango from m-huaxia and eggs from m-self, by express.
MANGO, EGGS = "m-huaxia", "m-self"
CST = timezone(timedelta(hours=8))


pytestmark = pytest.mark.usefixtures("fresh_sandbox")


def _order(db, order_id):
    return db.orders.find_one({"_id": order_id})


def _sold(db, sku):
    return db.stock.find_one({"_id": f"{sku}@central"})["sold"]


def _refund(order_id, merchant_id=None, reason="not wanted"):
    data = {"order_id": order_id, "reason": reason}
    if merchant_id:
        data["merchant_id"] = merchant_id
    return call("refund_request", data)


def _ship(order_id, merchant_id, tracking_no):
    ship = {"order_id": order_id, "carrier": "SF", "tracking_no": tracking_no}
    return operator_call("order_ship", ship, f"merchant:{merchant_id}")


def _refunds_of(db, order_id):
    return {r["_id"]: r for r in db.refunds.find({"order_id": order_id})}


def _wechat_refunded(db, order_id):
    """What the sandbox (checking WeChat Pay's rules) agreed to give back for the order."""
    return sum(r["amount"]["refund"] for r in db.sandbox_wechatpay.find({"kind": "refund"}))


def test_an_unshipped_parcel_goes_back_to_stock_and_its_share_is_refunded(seeded):
    call("user_login", {})
    order = _paid(seeded, "parcel-refund-0001")
    stored = _order(seeded, order["order_id"])
    eggs_sold, mango_sold = _sold(seeded, "p-eggs-1"), _sold(seeded, "p-mango-1")
    answer = _refund(order["order_id"], EGGS)
    assert answer["code"] == "OK" and answer["data"]["status"] == "PAID"
    parcel = answer["data"]["parcel_refunds"][EGGS]
    share = parcel_share(stored, EGGS)
    assert parcel["status"] == "REFUNDING" and parcel["amount"] == share and parcel["restock"]
    assert 0 < share < order["total"] - order["freight"]
    record = seeded.refunds.find_one({"_id": parcel_refund_no(order["order_id"], EGGS)})
    assert (record["amount"], record["total"], record["merchant_id"]) == (
        share,
        order["total"],
        EGGS,
    )
    assert _sold(seeded, "p-eggs-1") == eggs_sold - 1 and _sold(seeded, "p-mango-1") == mango_sold
    assert audit_stock(seeded) == []
    again = _refund(order["order_id"], EGGS)  # a retry answers the same, refunds nothing more
    assert again["data"]["parcel_refunds"][EGGS]["amount"] == share
    assert len(_refunds_of(seeded, order["order_id"])) == 1
    assert _sold(seeded, "p-eggs-1") == eggs_sold - 1

    sandbox.complete_refund(record["_id"], send=_in_process)
    done = _order(seeded, order["order_id"])["parcel_refunds"][EGGS]
    assert (done["status"], done["refund_status"]) == ("REFUNDED", "SUCCESS")

    # The refunded parcel never ships; the other one does, and the order completes on it.
    refused = _ship(order["order_id"], EGGS, "SF9999999999")
    assert refused["code"] == "CONFLICT"
    assert _ship(order["order_id"], MANGO, "SF1111111111")["data"]["status"] == "SHIPPED"
    assert _order(seeded, order["order_id"])["shipped_at"] is not None  # every parcel is out
    completed = call("order_confirm", {"order_id": order["order_id"]})["data"]
    assert completed["status"] == "COMPLETED"
    assert completed["parcels"][MANGO]["status"] == "DELIVERED" and EGGS not in completed["parcels"]
    earned = seeded.points_ledger.find_one({"_id": f"order:{order['order_id']}:earn"})
    assert earned["delta"] == (order["total"] - share) // 100  # points on what was kept


def test_a_shipped_parcel_waits_for_review_and_the_last_parcel_refunds_the_rest(seeded):
    order = _paid(seeded, "parcel-refund-0002")
    _ship(order["order_id"], MANGO, "SF2222222222")
    mango_sold = _sold(seeded, "p-mango-1")
    asked = _refund(order["order_id"], MANGO, "arrived bruised")["data"]
    assert asked["status"] == "SHIPPED" and asked["parcel_refunds"] == {}
    queue = operator_call("order_search", {"refund_status": "REQUESTED"}, "service")["data"]
    assert [o["order_id"] for o in queue["orders"]] == [order["order_id"]]
    assert queue["orders"][0]["refund_request"]["merchant_id"] == MANGO
    review = {"order_id": order["order_id"], "approve": True}
    assert operator_call("refund_review", review, "admin")["code"] == "OK"
    stored = _order(seeded, order["order_id"])
    parcel = stored["parcel_refunds"][MANGO]
    assert parcel["status"] == "REFUNDING" and not parcel["restock"]
    assert "refund_request" not in stored and stored["status"] == "SHIPPED"
    assert _sold(seeded, "p-mango-1") == mango_sold  # the mangoes had left

    # Eggs are the last parcel: refunding them refunds the rest of the order, freight too.
    rest = _refund(order["order_id"], EGGS)["data"]
    assert rest["status"] == "SHIPPED"  # shipped: the whole refund needs review
    approved = operator_call(
        "refund_review", {"order_id": order["order_id"], "approve": True}, "service"
    )
    assert approved["data"]["status"] == "REFUNDING"
    refunds = _refunds_of(seeded, order["order_id"])
    assert sum(r["amount"] for r in refunds.values()) == order["total"]
    assert _wechat_refunded(seeded, order["order_id"]) == order["total"]  # WeChat Pay agreed
    assert all(r["total"] == order["total"] for r in refunds.values())
    assert audit_stock(seeded) == []


def test_a_parcel_request_names_a_merchant_of_a_refundable_order(seeded):
    order = _paid(seeded, "parcel-refund-0003")
    assert _refund(order["order_id"], "m-nobody")["code"] == "NOT_FOUND"
    single = _paid(seeded, "parcel-refund-0004", items=[{"sku_id": "p-eggs-1", "qty": 1}])
    assert _refund(single["order_id"], EGGS)["code"] == "OK"  # its only parcel: the whole order
    assert _order(seeded, single["order_id"])["status"] == "REFUNDING"
    unpaid = call(
        "order_place", {**sample("order_place"), "idempotency_key": "parcel-refund-0005"}
    )["data"]
    assert _refund(unpaid["order_id"], EGGS)["code"] == "CONFLICT"
    assert seeded.refunds.count_documents({"order_id": unpaid["order_id"]}) == 0


def test_a_parcel_refunded_after_completion_takes_back_its_points_never_below_zero(seeded):
    call("user_login", {})
    order = _paid(seeded, "parcel-refund-0006")
    _ship(order["order_id"], MANGO, "SF3333333333")
    _ship(order["order_id"], EGGS, "SF4444444444")
    call("order_confirm", {"order_id": order["order_id"]})
    earned = order["total"] // 100
    points = seeded.users.find_one({"_id": BUYER})["points"]
    assert points == earned
    seeded.users.update_one({"_id": BUYER}, {"$set": {"points": 1}})  # spent all but one
    seeded.points_ledger.insert_one(
        {"_id": "test:spent", "openid": BUYER, "delta": 1 - earned, "reason": "spent"}
    )
    _refund(order["order_id"], MANGO, "bruised")
    operator_call("refund_review", {"order_id": order["order_id"], "approve": True}, "admin")
    parcel = _order(seeded, order["order_id"])["parcel_refunds"][MANGO]
    asked = parcel["amount"] // 100
    assert parcel["after_completion"] and parcel["points_shortfall"] == asked - 1
    assert seeded.users.find_one({"_id": BUYER})["points"] == 0
    record = seeded.refunds.find_one({"_id": parcel_refund_no(order["order_id"], MANGO)})
    assert record["amount"] == parcel["amount"] - parcel["points_shortfall"]
    ledger = sum(e["delta"] for e in seeded.points_ledger.find({"openid": BUYER}))
    assert ledger == 0
    award_points(seeded, BUYER, 500, "test:more", "granted")  # the rest is refunded later
    _refund(order["order_id"], EGGS, "changed my mind")
    operator_call("refund_review", {"order_id": order["order_id"], "approve": True}, "admin")
    rest = seeded.points_ledger.find_one({"_id": f"order:{order['order_id']}:reverse"})
    assert -rest["delta"] + rest.get("shortfall", 0) == earned - asked  # never twice
    total_back = sum(r["amount"] for r in _refunds_of(seeded, order["order_id"]).values())
    assert total_back == order["total"] - parcel["points_shortfall"]


def test_a_crash_before_the_parcel_refund_is_recorded_is_sent_by_reconciliation(seeded):
    order = _paid(seeded, "parcel-refund-0007")
    # The order side happened, then the function died before the payments side.
    start_parcel_refund(seeded, order["order_id"], EGGS, "crashed", restock=True)
    assert seeded.refunds.count_documents({}) == 0
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    seeded.orders.update_one({"_id": order["order_id"]}, {"$set": {"updated_at": an_hour_ago}})
    summary = handler("payment_reconcile")(sample("payment_reconcile"), {})["data"]
    assert summary["processed"] >= 1
    assert seeded.refunds.count_documents({"merchant_id": EGGS}) == 1
    assert _order(seeded, order["order_id"])["parcels_owed"] == []
    handler("payment_reconcile")(sample("payment_reconcile"), {})
    assert seeded.refunds.count_documents({}) == 1


def test_statements_take_a_parcel_back_once_from_its_own_merchant(seeded):
    order = _paid(seeded, "parcel-refund-0008")
    oid = order["order_id"]
    _ship(oid, MANGO, "SF5555555555")
    _ship(oid, EGGS, "SF6666666666")
    call("order_confirm", {"order_id": oid})
    _refund(oid, MANGO, "bruised")
    operator_call("refund_review", {"order_id": oid, "approve": True}, "admin")
    sandbox.complete_refund(parcel_refund_no(oid, MANGO), send=_in_process)
    # Completed on day 1, the mango parcel refunded on day 2 (moved into the past).
    day1, day2 = date(2026, 11, 20), date(2026, 11, 21)
    seeded.orders.update_one(
        {"_id": oid},
        {
            "$set": {
                "completed_at": _noon(day1),
                f"parcel_refunds.{MANGO}.refunded_at": _noon(day2),
                "parcel_refunded_at": _noon(day2),
            }
        },
    )
    run_settlement(SettleDay(day=day1), db=seeded)
    run_settlement(SettleDay(day=day2), db=seeded)
    rows = {s["_id"]: [r[0] for r in s["rows"] if r[1] == oid] for s in seeded.statements.find({})}
    assert rows[f"{MANGO}:{day1}"] == ["sale"] and rows[f"{EGGS}:{day1}"] == ["sale"]
    assert rows[f"{MANGO}:{day2}"] == ["refund"] and rows[f"{EGGS}:{day2}"] == []
    # The rest of the order refunded on day 3: only the eggs go back now.
    _refund(oid, EGGS, "changed my mind")
    operator_call("refund_review", {"order_id": oid, "approve": True}, "admin")
    sandbox.complete_refund(f"R{oid}", send=_in_process)
    day3 = date(2026, 11, 22)
    seeded.orders.update_one({"_id": oid}, {"$set": {"refunded_at": _noon(day3)}})
    run_settlement(SettleDay(day=day3), db=seeded)
    third = {s["merchant_id"]: s for s in seeded.statements.find({"day": day3.isoformat()})}
    assert [r[0] for r in third[EGGS]["rows"] if r[1] == oid] == ["refund"]
    assert [r[0] for r in third[MANGO]["rows"] if r[1] == oid] == []
    claims = seeded.settlement_claims.count_documents({"_id": {"$regex": f"^refund:{oid}:"}})
    assert claims == 2


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=CST)


def _in_process(url, headers, body, times):
    """The sandbox's refund notification, handed to refund_notify in this process."""
    event = {
        "httpMethod": "POST",
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": body,
        "requestContext": {"sourceIp": "127.0.0.1"},
    }
    return [handler("refund_notify")(event, {})["statusCode"] for _ in range(times)]
