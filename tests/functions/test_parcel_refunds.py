"""Refunds follow the parcels: one merchant's parcel of an order with goods from several
merchants is refunded alone (its share of the payment, its stock if it never left, its
statement lines), and the rest of the order goes on."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from retail.common.settings import reset_settings
from retail.inventory import audit_stock
from retail.members import award_points
from retail.orders import lifecycle, parcel_refunds, refund_requests, refund_reviews
from retail.orders.parcel_refunds import is_last_parcel, start_parcel_refund
from retail.orders.records import parcel_share
from retail.payments.refunds import parcel_refund_no
from retail.risk.limits import forget_risk_limits
from retail.settlement.lines import statement_rows
from retail.settlement.statements import SettleDay, run_settlement
from retail_dev import wechatpay_sandbox as sandbox
from retail_dev.wechat_shipping import confirm_receive

from .harness import (
    BUYER,
    Crash,
    as_operator,
    call,
    handler,
    paid_through_wechat_pay,
    place,
    receive,
    sample,
    wechat_pay_took,
)

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
    return as_operator("order_ship", ship, f"merchant:{merchant_id}")


def _refunds_of(db, order_id):
    return {r["_id"]: r for r in db.refunds.find({"order_id": order_id})}


def _wechat_refunded(db, order_id):
    """What the sandbox (checking WeChat Pay's rules) agreed to give back for the order and
    did not close unpaid."""
    refunds = db.sandbox_wechatpay.find({"kind": "refund", "status": {"$ne": "CLOSED"}})
    return sum(r["amount"]["refund"] for r in refunds)


def test_an_unshipped_parcel_goes_back_to_stock_and_its_share_is_refunded(seeded):
    call("user_login", {})
    order = paid_through_wechat_pay(seeded, "parcel-refund-0001")
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
    completed = receive(order["order_id"])["data"]
    assert completed["status"] == "COMPLETED"
    assert completed["parcels"][MANGO]["status"] == "DELIVERED" and EGGS not in completed["parcels"]
    earned = seeded.points_ledger.find_one({"_id": f"order:{order['order_id']}:earn"})
    assert earned["delta"] == (order["total"] - share) // 100  # points on what was kept


def test_a_shipped_parcel_waits_for_review_and_the_last_parcel_refunds_the_rest(seeded):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0002")
    _ship(order["order_id"], MANGO, "SF2222222222")
    mango_sold = _sold(seeded, "p-mango-1")
    asked = _refund(order["order_id"], MANGO, "arrived bruised")["data"]
    assert asked["status"] == "SHIPPED" and asked["parcel_refunds"] == {}
    queue = as_operator("order_search", {"refund_request_status": "REQUESTED"}, "service")["data"]
    assert [o["order_id"] for o in queue["orders"]] == [order["order_id"]]
    assert queue["orders"][0]["refund_request"]["merchant_id"] == MANGO
    review = {"order_id": order["order_id"], "approve": True}
    assert as_operator("refund_review", review, "admin")["code"] == "OK"
    stored = _order(seeded, order["order_id"])
    parcel = stored["parcel_refunds"][MANGO]
    assert parcel["status"] == "REFUNDING" and not parcel["restock"]
    assert "refund_request" not in stored and stored["status"] == "SHIPPED"
    assert _sold(seeded, "p-mango-1") == mango_sold  # the mangoes had left

    # Eggs are the last parcel: refunding them refunds the rest of the order, freight too;
    # the rest never left, so it needs no review and goes back to stock.
    eggs_sold = _sold(seeded, "p-eggs-1")
    rest = _refund(order["order_id"], EGGS)["data"]
    assert rest["status"] == "REFUNDING" and rest.get("refund_request") is None
    assert _sold(seeded, "p-eggs-1") == eggs_sold - 1 and _sold(seeded, "p-mango-1") == mango_sold
    refunds = _refunds_of(seeded, order["order_id"])
    assert sum(r["amount"] for r in refunds.values()) == order["total"]
    assert _wechat_refunded(seeded, order["order_id"]) == order["total"]  # WeChat Pay agreed
    assert all(r["total"] == order["total"] for r in refunds.values())
    assert audit_stock(seeded) == []


def test_a_parcel_request_names_a_merchant_of_a_refundable_order(seeded):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0003")
    assert _refund(order["order_id"], "m-nobody")["code"] == "NOT_FOUND"
    single = paid_through_wechat_pay(
        seeded, "parcel-refund-0004", items=[{"sku_id": "p-eggs-1", "qty": 1}]
    )
    assert _refund(single["order_id"], EGGS)["code"] == "OK"  # its only parcel: the whole order
    assert _order(seeded, single["order_id"])["status"] == "REFUNDING"
    unpaid = call(
        "order_place", {**sample("order_place"), "idempotency_key": "parcel-refund-0005"}
    )["data"]
    assert _refund(unpaid["order_id"], EGGS)["code"] == "CONFLICT"
    assert seeded.refunds.count_documents({"order_id": unpaid["order_id"]}) == 0


def test_a_parcel_refunded_after_completion_takes_back_its_points_never_below_zero(seeded):
    call("user_login", {})
    order = paid_through_wechat_pay(seeded, "parcel-refund-0006")
    _ship(order["order_id"], MANGO, "SF3333333333")
    _ship(order["order_id"], EGGS, "SF4444444444")
    receive(order["order_id"])
    earned = order["total"] // 100
    points = seeded.users.find_one({"_id": BUYER})["points"]
    assert points == earned
    seeded.users.update_one({"_id": BUYER}, {"$set": {"points": 1}})  # spent all but one
    seeded.points_ledger.insert_one(
        {"_id": "test:spent", "openid": BUYER, "delta": 1 - earned, "reason": "spent"}
    )
    _refund(order["order_id"], MANGO, "bruised")
    as_operator("refund_review", {"order_id": order["order_id"], "approve": True}, "admin")
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
    as_operator("refund_review", {"order_id": order["order_id"], "approve": True}, "admin")
    rest = seeded.points_ledger.find_one({"_id": f"order:{order['order_id']}:reverse"})
    assert -rest["delta"] + rest.get("shortfall", 0) == earned - asked  # never twice
    total_back = sum(r["amount"] for r in _refunds_of(seeded, order["order_id"]).values())
    assert total_back == order["total"] - parcel["points_shortfall"]


def test_a_crash_before_the_parcel_refund_is_recorded_is_sent_by_reconciliation(seeded):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0007")
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
    order = paid_through_wechat_pay(seeded, "parcel-refund-0008")
    oid = order["order_id"]
    _ship(oid, MANGO, "SF5555555555")
    _ship(oid, EGGS, "SF6666666666")
    receive(oid)
    _refund(oid, MANGO, "bruised")
    as_operator("refund_review", {"order_id": oid, "approve": True}, "admin")
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
    rows = {
        s["_id"]: [r[0] for r in statement_rows(seeded, s) if r[1] == oid]
        for s in seeded.statements.find({})
    }
    assert rows[f"{MANGO}:{day1}"] == ["sale"] and rows[f"{EGGS}:{day1}"] == ["sale"]
    assert rows[f"{MANGO}:{day2}"] == ["refund"] and rows[f"{EGGS}:{day2}"] == []
    # The rest of the order refunded on day 3: only the eggs go back now.
    _refund(oid, EGGS, "changed my mind")
    as_operator("refund_review", {"order_id": oid, "approve": True}, "admin")
    sandbox.complete_refund(f"R{oid}", send=_in_process)
    day3 = date(2026, 11, 22)
    seeded.orders.update_one({"_id": oid}, {"$set": {"refunded_at": _noon(day3)}})
    run_settlement(SettleDay(day=day3), db=seeded)
    third = {s["merchant_id"]: s for s in seeded.statements.find({"day": day3.isoformat()})}
    assert [r[0] for r in statement_rows(seeded, third[EGGS]) if r[1] == oid] == ["refund"]
    assert [r[0] for r in statement_rows(seeded, third[MANGO]) if r[1] == oid] == []
    claims = seeded.settlement_claims.count_documents({"_id": {"$regex": f"^refund:{oid}:"}})
    assert claims == 2


def test_the_waiting_parcel_refunded_after_the_other_left_starts_auto_confirmation(seeded):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0101")
    oid = order["order_id"]
    _ship(oid, MANGO, "SF0101010101")
    assert _order(seeded, oid).get("shipped_at") is None  # the eggs still wait
    assert _refund(oid, EGGS)["data"]["parcel_refunds"][EGGS]["restock"]
    shipped_at = _order(seeded, oid)["shipped_at"]
    assert shipped_at is not None  # nothing waits any more
    seeded.orders.update_one(
        {"_id": oid}, {"$set": {"shipped_at": shipped_at - timedelta(days=30)}}
    )
    # WeChat holds the payment: told the shipping is finished (shipping_sync), its own window
    # passed too (the push that said so was lost).
    assert handler("shipping_sync")(sample("shipping_sync"), {})["data"]["processed"] == 1
    confirm_receive(oid, send=lambda _query, _body: 0)
    assert handler("order_autoconfirm")(sample("order_autoconfirm"), {})["data"]["processed"] == 1
    assert _order(seeded, oid)["status"] == "COMPLETED"


def test_a_whole_refund_puts_back_the_parcels_that_never_left(seeded):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0102")
    oid = order["order_id"]
    _ship(oid, MANGO, "SF0202020202")
    eggs_sold, mango_sold = _sold(seeded, "p-eggs-1"), _sold(seeded, "p-mango-1")
    assert _refund(oid)["data"]["status"] == "SHIPPED"  # the mangoes left: an operator decides
    as_operator("refund_review", {"order_id": oid, "approve": True}, "admin")
    assert _order(seeded, oid)["status"] == "REFUNDING"
    assert _sold(seeded, "p-eggs-1") == eggs_sold - 1  # never left: back in stock
    assert _sold(seeded, "p-mango-1") == mango_sold  # with the carrier: not
    assert audit_stock(seeded) == []


def test_a_parcel_refund_counts_towards_the_refund_abuse_rule(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_RISK_LIMITS", '{"refunds_per_30_days": 1}')
    reset_settings()
    forget_risk_limits()
    first = paid_through_wechat_pay(seeded, "parcel-refund-0103")
    assert EGGS in _refund(first["order_id"], EGGS)["data"]["parcel_refunds"]
    second = paid_through_wechat_pay(seeded, "parcel-refund-0104")
    held = _refund(second["order_id"])["data"]
    stored = _order(seeded, second["order_id"])
    assert held["status"] == "PAID" and stored["refund_request"]["status"] == "REQUESTED"
    assert seeded.risk_events.find_one({"kind": "refund_abuse"})["order_id"] == second["order_id"]
    forget_risk_limits()


def test_two_parcel_requests_at_once_leave_the_last_one_to_refund_the_rest(seeded, monkeypatch):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0105")
    oid = order["order_id"]
    assert MANGO in _refund(oid, MANGO)["data"]["parcel_refunds"]
    # The eggs' request read the order before the mangoes' refund was written: it too saw
    # another parcel left, but the update that records the eggs as "a parcel" refuses.
    assert start_parcel_refund(seeded, oid, EGGS, "late", restock=True) is None
    seen = []

    def stale_first(order, merchant_id):
        seen.append(merchant_id)
        return False if len(seen) == 1 else is_last_parcel(order, merchant_id)

    monkeypatch.setattr(refund_requests, "is_last_parcel", stale_first)
    rest = _refund(oid, EGGS)["data"]
    assert rest["status"] == "REFUNDING" and list(rest["parcel_refunds"]) == [MANGO]
    refunds = _refunds_of(seeded, oid)
    assert sum(r["amount"] for r in refunds.values()) == order["total"]  # freight too
    assert _wechat_refunded(seeded, oid) == order["total"]
    assert audit_stock(seeded) == []


def test_a_parcel_shipped_while_its_approval_ran_is_not_put_back(seeded, monkeypatch):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0106")
    oid = order["order_id"]
    _ship(oid, MANGO, "SF0606060606")
    seeded.orders.update_one(  # a request for the eggs, held for review (abuse rule)
        {"_id": oid},
        {"$set": {"refund_request": {"status": "REQUESTED", "reason": "x", "merchant_id": EGGS}}},
    )
    real = refund_reviews.start_parcel_refund

    def shipped_meanwhile(db, *args, **kwargs):
        if kwargs["restock"]:  # the eggs leave between the operator's read and the update
            _ship(oid, EGGS, "SF0707070707")
        return real(db, *args, **kwargs)

    monkeypatch.setattr(refund_reviews, "start_parcel_refund", shipped_meanwhile)
    eggs_sold = _sold(seeded, "p-eggs-1")
    as_operator("refund_review", {"order_id": oid, "approve": True}, "admin")
    stored = _order(seeded, oid)
    assert EGGS in stored["parcels"] and not stored["parcel_refunds"][EGGS]["restock"]
    assert _sold(seeded, "p-eggs-1") == eggs_sold  # with the carrier: not back in stock
    assert audit_stock(seeded) == []


def test_a_parcel_approved_between_completion_and_its_effects_takes_its_points_once(
    seeded, monkeypatch
):
    call("user_login", {})
    order = paid_through_wechat_pay(seeded, "parcel-refund-0107")
    oid = order["order_id"]
    _ship(oid, MANGO, "SF0808080808")
    _ship(oid, EGGS, "SF0909090909")
    monkeypatch.setattr(lifecycle, "apply_outbox", lambda db, order: None)  # dies after COMPLETED
    receive(oid)
    monkeypatch.undo()
    assert _order(seeded, oid)["outbox"] == ["completed"]
    _refund(oid, MANGO, "bruised")
    as_operator("refund_review", {"order_id": oid, "approve": True}, "admin")
    parcel = _order(seeded, oid)["parcel_refunds"][MANGO]
    earned = seeded.points_ledger.find_one({"_id": f"order:{oid}:earn"})["delta"]
    assert earned == order["total"] // 100 and parcel["after_completion"]
    points = seeded.users.find_one({"_id": BUYER})["points"]
    assert points == earned - parcel["amount"] // 100  # the share taken back once
    handler("order_repair")(sample("order_repair"), {})
    assert seeded.users.find_one({"_id": BUYER})["points"] == points


def test_reconciliation_takes_the_points_shortfall_off_an_owed_parcel_refund(seeded, monkeypatch):
    call("user_login", {})
    order = paid_through_wechat_pay(seeded, "parcel-refund-0108")
    oid = order["order_id"]
    _ship(oid, MANGO, "SF1010101010")
    _ship(oid, EGGS, "SF1212121212")
    receive(oid)
    seeded.users.update_one({"_id": BUYER}, {"$set": {"points": 0}})  # spent them all
    earned = order["total"] // 100
    seeded.points_ledger.insert_one(
        {"_id": "test:spent", "openid": BUYER, "delta": -earned, "reason": "spent"}
    )
    # The parcel's refund is on the order, then the function died before its effects ran.
    monkeypatch.setattr(parcel_refunds, "apply_outbox", lambda db, order: None)
    start_parcel_refund(seeded, oid, MANGO, "crashed", restock=False)
    monkeypatch.undo()
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    seeded.orders.update_one({"_id": oid}, {"$set": {"updated_at": an_hour_ago}})
    handler("payment_reconcile")(sample("payment_reconcile"), {})
    parcel = _order(seeded, oid)["parcel_refunds"][MANGO]
    assert parcel["points_shortfall"] == parcel["amount"] // 100 > 0
    record = seeded.refunds.find_one({"_id": parcel_refund_no(oid, MANGO)})
    assert record["amount"] == parcel["amount"] - parcel["points_shortfall"]


def test_a_closed_refund_is_asked_again_and_an_abnormal_one_waits_for_its_success(seeded):
    order = paid_through_wechat_pay(seeded, "parcel-refund-0109")
    oid = order["order_id"]
    share = _refund(oid, EGGS)["data"]["parcel_refunds"][EGGS]["amount"]
    first = parcel_refund_no(oid, EGGS)
    sandbox.complete_refund(first, "CLOSED", send=_in_process)  # 7 days without balance
    again = seeded.refunds.find_one({"_id": f"{first}-2"})
    assert (again["amount"], again["first_no"], again["merchant_id"]) == (share, first, EGGS)
    parcel = _order(seeded, oid)["parcel_refunds"][EGGS]
    assert (parcel["status"], parcel["refund_status"]) == ("REFUNDING", "PROCESSING")
    sandbox.complete_refund(again["_id"], "ABNORMAL", send=_in_process)  # the card was frozen
    parcel = _order(seeded, oid)["parcel_refunds"][EGGS]
    assert (parcel["status"], parcel["refund_status"]) == ("REFUNDING", "ABNORMAL")
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    seeded.refunds.update_many({}, {"$set": {"created_at": an_hour_ago}})
    handler("payment_reconcile")(sample("payment_reconcile"), {})  # asks, still abnormal
    assert seeded.refunds.find_one({"_id": again["_id"]})["status"] == "ABNORMAL"
    # The merchant hands it on (merchant platform or apply-abnormal-refund): SUCCESS.
    sandbox.complete_refund(again["_id"], "SUCCESS", send=_in_process)
    parcel = _order(seeded, oid)["parcel_refunds"][EGGS]
    assert (parcel["status"], parcel["refund_status"]) == ("REFUNDED", "SUCCESS")
    assert _wechat_refunded(seeded, oid) == share
    # The rest of the order, refunded whole, is closed once too and asked again.
    rest = _refund(oid, MANGO)["data"]
    assert rest["status"] == "REFUNDING"
    sandbox.complete_refund(f"R{oid}", "CLOSED", send=_in_process)
    assert _order(seeded, oid)["refund_status"] == "PROCESSING"
    sandbox.complete_refund(f"R{oid}-2", "SUCCESS", send=_in_process)
    done = _order(seeded, oid)
    assert (done["status"], done["refund_status"]) == ("REFUNDED", "SUCCESS")
    assert _wechat_refunded(seeded, oid) == order["total"]


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


def _aged(db, order_id):
    """The order as timers find it once the repair grace has passed."""
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    db.orders.update_one({"_id": order_id}, {"$set": {"updated_at": an_hour_ago}})


def test_a_whole_refund_while_a_parcel_leaves_waits_for_review_and_restocks_nothing(
    seeded, monkeypatch
):
    """The buyer asks for the whole order back in the instant between a merchant's parcel
    leaving and the order moving PAID -> SHIPPED: the goods with the carrier are neither put
    back in stock nor refunded without review."""
    from retail.orders import parcels

    order = paid_through_wechat_pay(seeded, "parcel-leaving-0001")
    oid, sold = order["order_id"], _sold(seeded, "p-mango-1")
    real, asked = parcels.transition, []

    def buyer_asks_in_between(db, order_id, *args, **kwargs):
        if not asked:
            asked.append(_refund(oid))
        return real(db, order_id, *args, **kwargs)

    monkeypatch.setattr(parcels, "transition", buyer_asks_in_between)
    assert _ship(oid, MANGO, "SF3434343434")["code"] == "OK"
    monkeypatch.undo()
    assert asked[0]["code"] == "OK", asked
    stored = _order(seeded, oid)
    assert stored["status"] == "SHIPPED" and MANGO in stored["parcels"]
    assert stored["refund_request"]["status"] == "REQUESTED"
    assert _refunds_of(seeded, oid) == {}
    assert _sold(seeded, "p-mango-1") == sold
    assert audit_stock(seeded) == []


def test_a_parcel_restock_that_races_another_parcel_leaving_is_made_once(seeded, monkeypatch):
    """The eggs parcel goes back while the mango parcel leaves (PAID -> SHIPPED between the
    eggs' stock move and its record): the move is recorded whatever the order's status, so
    order_repair never makes it again (another buyer's sold eggs stay sold)."""
    paid_through_wechat_pay(seeded, "parcel-race-0000")  # another buyer's paid order holds eggs too
    order = paid_through_wechat_pay(seeded, "parcel-race-0001")
    oid = order["order_id"]
    before = seeded.stock.find_one({"_id": "p-eggs-1@central"})
    real, shipped = lifecycle.fault_point, []

    def mango_leaves(name):
        if name == "settle_stock:after_move_1" and not shipped:
            shipped.append(_ship(oid, MANGO, "SF7777777777")["code"])
        return real(name)

    monkeypatch.setattr(lifecycle, "fault_point", mango_leaves)
    assert _refund(oid, EGGS)["code"] == "OK"
    monkeypatch.undo()
    assert shipped == ["OK"]
    _aged(seeded, oid)
    handler("order_repair")(sample("order_repair"), {})
    after = seeded.stock.find_one({"_id": "p-eggs-1@central"})
    qty = next(line["qty"] for line in order["lines"] if line["merchant_id"] == EGGS)
    assert after["available"] - before["available"] == qty
    assert before["sold"] - after["sold"] == qty
    stored = _order(seeded, oid)
    assert stored["stock_settled"] is True
    assert {line["stock"] for line in stored["lines"] if line["merchant_id"] == EGGS} == {
        "RELEASED"
    }
    assert audit_stock(seeded) == []


def test_the_last_waiting_parcel_refunded_while_another_ships_starts_auto_confirmation(
    seeded, monkeypatch
):
    from retail.orders import parcels

    order = paid_through_wechat_pay(seeded, "parcel-race-0002")
    oid = order["order_id"]
    real, refunded = parcels.transition, []

    def eggs_go_back_in_between(db, order_id, *args, **kwargs):
        if not refunded:
            refunded.append(_refund(oid, EGGS)["code"])
        return real(db, order_id, *args, **kwargs)

    monkeypatch.setattr(parcels, "transition", eggs_go_back_in_between)
    assert _ship(oid, MANGO, "SF8888888888")["code"] == "OK"
    monkeypatch.undo()
    stored = _order(seeded, oid)
    assert refunded == ["OK"] and stored["status"] == "SHIPPED"
    assert stored.get("shipped_at") is not None


def test_a_crash_before_auto_confirmation_started_is_finished_by_repair(seeded, monkeypatch):

    order = paid_through_wechat_pay(seeded, "parcel-crash-0003")
    oid = order["order_id"]
    assert _ship(oid, MANGO, "SF1212121212")["code"] == "OK"

    def dies(db, order_id, now):
        raise Crash("the process dies after the parcel's refund was recorded")

    monkeypatch.setattr(parcel_refunds, "mark_all_out", dies)
    assert _refund(oid, EGGS)["code"] == "INTERNAL"  # the crash, as the runtime reports it
    monkeypatch.undo()
    assert _order(seeded, oid).get("shipped_at") is None
    _aged(seeded, oid)
    handler("order_repair")(sample("order_repair"), {})
    assert _order(seeded, oid).get("shipped_at") is not None


def test_a_parcel_share_the_points_took_whole_is_done_without_asking_wechat_pay(seeded):
    """A 1-fen item from a second merchant in an order mostly paid with points: its share
    after the points it earned is 0, which WeChat Pay would refuse; the parcel is refunded
    at once, and reconciliation has nothing left to send."""
    call("user_login", {})
    award_points(seeded, BUYER, 5000, "test:grant", "granted")
    seeded.skus.update_one({"_id": "p-eggs-1"}, {"$set": {"price": 1}})
    order = paid_through_wechat_pay(seeded, "parcel-zero-0001", points=2900)
    oid = order["order_id"]
    assert _refund(oid, EGGS)["code"] == "OK"
    record = seeded.refunds.find_one({"_id": parcel_refund_no(oid, EGGS)})
    assert record["amount"] == 0 and record["status"] == "SUCCESS" and record["order_done"]
    assert _order(seeded, oid)["parcel_refunds"][EGGS]["status"] == "REFUNDED"
    assert _wechat_refunded(seeded, oid) == 0
    seeded.refunds.update_many(
        {}, {"$set": {"created_at": datetime.now(timezone.utc) - timedelta(hours=1)}}
    )
    assert handler("payment_reconcile")(sample("payment_reconcile"), {})["data"]["failed"] == 0


def test_a_paid_order_shipped_before_repair_after_a_crash_mid_payment_is_sold_once(
    seeded, monkeypatch
):
    """The process died between the payment's first stock move and its record; the order
    was shipped before order_repair ran: repair still records the lines SOLD (the move made
    once, by its marker), so the books balance. Found by the state machine's crash rule."""
    from retail.payments.config import wechatpay_config
    from retail.payments.transactions import apply_transaction

    order = place("crash-mid-pay-0001")["data"]
    call("payment_prepay", {"order_id": order["order_id"]})
    tx = wechat_pay_took(seeded, order["out_trade_no"])

    def dies(name):
        if name == "settle_stock:after_move_1":
            raise Crash(name)

    monkeypatch.setattr(lifecycle, "fault_point", dies)
    with pytest.raises(Crash):
        apply_transaction(seeded, wechatpay_config(), tx)
    monkeypatch.undo()
    assert _ship(order["order_id"], MANGO, "SF5656565656")["code"] == "OK"
    _aged(seeded, order["order_id"])
    handler("order_repair")(sample("order_repair"), {})
    stored = _order(seeded, order["order_id"])
    assert {line["stock"] for line in stored["lines"]} == {"SOLD"}
    assert stored["stock_settled"] is True
    assert audit_stock(seeded) == []


@pytest.mark.parametrize("parcel", [EGGS, MANGO])
def test_a_parcel_refunded_while_a_crash_left_a_sale_unrecorded_balances_the_books(
    seeded, monkeypatch, parcel
):
    """The payment's stock moves died after the first line: the order is paid, its stock
    unsettled, every line still RESERVED. A parcel refunded then (it never left) gives its
    lines' reservation back, the other parcel's lines are sold, and the order is settled
    with the books clean (the order state machine found a line left RESERVED for good)."""
    from retail.orders import lifecycle

    def dies(name):
        if name == "settle_stock:after_move_1":
            raise Crash(name)

    call("user_login", {})
    monkeypatch.setattr(lifecycle, "fault_point", dies)
    with pytest.raises(Crash):
        paid_through_wechat_pay(seeded, f"parcel-crash-{parcel}")
    monkeypatch.undo()
    order = seeded.orders.find_one({"idempotency_key": f"parcel-crash-{parcel}"})
    assert order["status"] == "PAID" and order["stock_settled"] is False
    assert _refund(order["_id"], parcel)["code"] == "OK"
    stored = _order(seeded, order["_id"])
    kept = {line["merchant_id"]: line["stock"] for line in stored["lines"]}
    assert kept[parcel] == "RELEASED" and set(kept.values()) == {"RELEASED", "SOLD"}
    assert stored["stock_settled"] is True
    assert audit_stock(seeded) == []


def test_a_move_never_takes_units_a_crashed_move_already_took(seeded):
    """This order's reservation went to a sale whose record a crash lost (its marker says
    SELL): releasing it again would release another order's reservation."""
    from retail.inventory import StockMove, apply_move

    level = "p-eggs-1@central"
    seeded.stock.update_one({"_id": level}, {"$inc": {"reserved": 2, "available": -2}})
    assert apply_move(seeded, "O-mine", level, 1, StockMove.RESERVE)
    assert apply_move(seeded, "O-mine", level, 1, StockMove.SELL)
    before = seeded.stock.find_one({"_id": level})
    assert not apply_move(seeded, "O-mine", level, 1, StockMove.RELEASE)
    assert apply_move(seeded, "O-mine", level, 1, StockMove.SELL)  # a replay
    after = seeded.stock.find_one({"_id": level})
    assert {k: after[k] for k in ("available", "reserved", "sold")} == {
        k: before[k] for k in ("available", "reserved", "sold")
    }
