"""Money exactly once under the interleavings issue 13 found: a payment that arrives after a
cancellation, a retried placement after a refusal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from retail.common.clock import utcnow
from retail.inventory import audit_stock
from retail.members import award_points
from retail.payments.config import wechatpay_config
from retail.payments.connect import wechatpay_client
from retail.payments.transactions import apply_transaction
from retail_dev import wechatpay_sandbox as sandbox

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

pytestmark = pytest.mark.usefixtures("fresh_sandbox")


def _buyer_with_coupon_and_points(db, points=300):
    call("user_login", {})
    award_points(db, BUYER, points, "test:grant", "granted by the test")
    return call("coupon_claim", {"template_id": "c-new-user"})["data"]["coupon_id"]


def _coupon(db, coupon_id):
    return db.coupons.find_one({"_id": coupon_id})["status"]


def _points(db):
    return db.users.find_one({"_id": BUYER})["points"]


@pytest.mark.parametrize("how", ["buyer", "expiry"])
def test_a_payment_after_cancellation_is_refunded_whole_and_never_reuses_coupon_or_points(
    seeded, how
):
    coupon_id = _buyer_with_coupon_and_points(seeded)
    order = place("late-pay-0001", coupon_id=coupon_id, points=200)["data"]
    assert call("payment_prepay", {"order_id": order["order_id"]})["code"] == "OK"
    if how == "buyer":
        assert call("order_cancel", {"order_id": order["order_id"]})["code"] == "OK"
    else:
        seeded.orders.update_one(
            {"_id": order["order_id"]}, {"$set": {"pay_deadline": utcnow() - timedelta(seconds=1)}}
        )
        assert handler("order_expire")(sample("order_expire"), {})["data"]["processed"] == 1
    closed = seeded.sandbox_wechatpay.find_one({"_id": f"pay:{order['out_trade_no']}"})
    assert closed["trade_state"] == "CLOSED"  # closed before anything was given back
    with pytest.raises(LookupError):
        sandbox.pay(order["out_trade_no"])  # the buyer can no longer pay it
    assert (_coupon(seeded, coupon_id), _points(seeded)) == ("AVAILABLE", 300)
    # A payment WeChat Pay accepted anyway (it raced the close) is given back whole.
    late = wechat_pay_took(seeded, order["out_trade_no"])
    for _ in range(2):
        assert apply_transaction(seeded, wechatpay_config(), late) == "late_payment_refunded"
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert stored["status"] == "CANCELLED" and stored["refund_status"] == "PROCESSING"
    assert [r["amount"] for r in seeded.refunds.find({})] == [order["total"]]
    # The coupon and the points are spent once more only by a new order that pays for them.
    again = place("late-pay-0002", coupon_id=coupon_id, points=200)["data"]
    assert again["discount"] == 500 and again["points_used"] == 200
    assert (_coupon(seeded, coupon_id), _points(seeded)) == ("LOCKED", 100)
    assert audit_stock(seeded) == []


def test_cancelling_an_order_paid_meanwhile_keeps_the_payment(seeded):
    coupon_id = _buyer_with_coupon_and_points(seeded)
    order = place("paid-meanwhile-1", coupon_id=coupon_id, points=100)["data"]
    call("payment_prepay", {"order_id": order["order_id"]})
    wechat_pay_took(seeded, order["out_trade_no"])  # paid; the notification is still on its way
    answer = call("order_cancel", {"order_id": order["order_id"]})
    assert answer["code"] == "CONFLICT" and answer["details"]["status"] == "PAID"
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "PAID"
    assert (_coupon(seeded, coupon_id), _points(seeded)) == ("USED", 200)
    assert seeded.refunds.count_documents({}) == 0
    assert audit_stock(seeded) == []


# Each refusal as the race that causes it: the coupon or the points taken by another order
# between pricing and placing, the group filled, the stock gone, the purchase limit reached.
RACES = {
    "COUPON_UNAVAILABLE": ("place", "lock_coupon", False),
    "NOT_ENOUGH_POINTS": ("place", "spend_points", False),
    "GROUP_CLOSED": ("place", "join_group", None),
    "OUT_OF_STOCK": ("reserving", "reserve", None),
    "PURCHASE_LIMIT": ("place", "take_caps", "p-eggs-1"),  # the limit reached by another order
}


@pytest.mark.parametrize("reason", sorted(RACES))
def test_a_retried_placement_answers_what_the_first_call_answered(seeded, monkeypatch, reason):
    import importlib

    coupon_id = _buyer_with_coupon_and_points(seeded, points=50)
    changes = {"coupon_id": coupon_id, "points": 50}
    if reason == "GROUP_CLOSED":
        changes = {"items": [{"sku_id": "p-honey-1", "qty": 1}], "group": {"deal_id": "g-honey-3"}}
    module, name, result = RACES[reason]
    placing = importlib.import_module(f"retail.orders.{module}")
    monkeypatch.setattr(placing, name, lambda *a, **k: result)
    original = place("retry-kind-0001", **changes)
    monkeypatch.undo()
    assert original["code"] != "OK" and original["details"]["reason"] == reason
    for _ in range(2):
        replay = place("retry-kind-0001", **changes)
        assert (replay["code"], replay["details"]) == (original["code"], original["details"])
    assert (_coupon(seeded, coupon_id), _points(seeded)) == ("AVAILABLE", 50)


def test_a_retry_of_an_interrupted_placement_is_refused_not_answered_ok(seeded):
    order = place("interrupted-0001")["data"]
    seeded.orders.update_one(
        {"_id": order["order_id"]},
        {"$set": {"status": "FAILED", "failure": {"code": "INTERRUPTED"}}},
    )
    replay = place("interrupted-0001")
    assert replay["code"] == "CONFLICT" and replay["details"]["reason"] == "INTERRUPTED"


def _refund_result(db, order_id, status="SUCCESS"):
    record = db.refunds.find_one({"_id": f"R{order_id}"})
    return {"out_refund_no": record["_id"], "refund_status": status, "refund_id": "50x"}


def _reconcile():
    return handler("payment_reconcile")(sample("payment_reconcile"), {})["data"]


def test_a_crash_after_the_refund_went_final_is_finished_by_replay_or_reconcile(
    seeded, monkeypatch
):
    from retail.payments import notifications

    orders = [paid_through_wechat_pay(seeded, f"refund-crash-{n}") for n in range(2)]
    for order in orders:
        refund = call("refund_request", {"order_id": order["order_id"], "reason": "changed mind"})
        assert refund["data"]["status"] == "REFUNDING"

    def crash(name):
        if name == "refund_notify:after_refund_final":
            raise Crash(name)

    monkeypatch.setattr(notifications, "fault_point", crash)
    for order in orders:
        with pytest.raises(Crash):
            notifications.apply_refund_result(seeded, _refund_result(seeded, order["order_id"]))
    monkeypatch.undo()
    assert {o["status"] for o in seeded.orders.find({})} == {"REFUNDING"}
    replayed, reconciled = orders
    # WeChat Pay sends the notification again: it finishes the order.
    again = notifications.apply_refund_result(seeded, _refund_result(seeded, replayed["order_id"]))
    assert again == "duplicate"
    assert seeded.orders.find_one({"_id": replayed["order_id"]})["status"] == "REFUNDED"
    # No second notification: payment_reconcile finishes it, once.
    assert _reconcile()["processed"] >= 1
    done = seeded.orders.find_one({"_id": reconciled["order_id"]})
    assert (done["status"], done["refund_status"]) == ("REFUNDED", "SUCCESS")
    assert _reconcile()["processed"] == 0
    assert audit_stock(seeded) == []


def test_a_refund_never_drives_points_negative_it_takes_their_value_off_the_refund(seeded):
    call("user_login", {})
    first = paid_through_wechat_pay(seeded, "points-earn-0001")
    ship = {"order_id": first["order_id"], "carrier": "SF", "tracking_no": "SF1234"}
    as_operator("order_ship", ship, "admin")
    receive(first["order_id"])
    earned = first["total"] // 100
    assert _points(seeded) == earned
    spent = earned - 3
    second = place("points-spend-0001", points=spent)["data"]
    assert second["points_used"] == spent and _points(seeded) == 3
    call("refund_request", {"order_id": first["order_id"], "reason": "broken"})
    review = as_operator(
        "refund_review", {"order_id": first["order_id"], "approve": True}, "service"
    )
    assert review["data"]["status"] == "REFUNDING"
    assert _points(seeded) == 0  # never below zero
    refund = seeded.refunds.find_one({"_id": f"R{first['order_id']}"})
    assert refund["amount"] == first["total"] - spent  # the spent points' value stays with us
    # WeChat Pay checks amount.total against the payment: the total paid, not the refund.
    assert refund["total"] == first["total"] and refund["status"] == "PROCESSING"
    assert seeded.sandbox_wechatpay.find_one({"_id": f"refund:R{first['order_id']}"})
    ledger = sum(e["delta"] for e in seeded.points_ledger.find({"openid": BUYER}))
    assert ledger == _points(seeded)
    # Replaying the effects (order_repair) takes nothing more.
    from retail.orders.effects import REFUNDED_EFFECTS, apply_outbox

    apply_outbox(
        seeded, {**seeded.orders.find_one({"_id": first["order_id"]}), "outbox": [REFUNDED_EFFECTS]}
    )
    assert _points(seeded) == 0 and seeded.refunds.count_documents({}) == 1


def test_reconciliation_moves_forward_past_orders_that_stay_unpaid(seeded, monkeypatch):
    from retail.payments import reconcile

    orders = [place(f"reconcile-key-{n:03d}")["data"] for n in range(7)]
    for order in orders:
        call("payment_prepay", {"order_id": order["order_id"]})
    seeded.orders.update_many({}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}})
    asked: list[str] = []
    real = reconcile._check_payment
    monkeypatch.setattr(
        reconcile, "_check_payment", lambda db, o, c: asked.append(o["_id"]) or real(db, o, c)
    )
    for _ in range(3):  # each run sees 2 batches of 1: max_batches is obeyed
        _reconcile_small()
    ids = sorted(o["order_id"] for o in orders)
    assert asked == ids[:6]  # newer orders were reached, none asked twice
    wechat_pay_took(seeded, ids[6])  # the newest one is paid, its notification lost
    _reconcile_small()
    assert asked[6:] == [ids[6], ids[0]]  # then it starts again from the oldest
    assert seeded.orders.find_one({"_id": ids[6]})["status"] == "PAID"


def _reconcile_small():
    event = {
        **sample("payment_reconcile"),
        "Message": json.dumps({"batch_size": 1, "max_batches": 2}),
    }
    return handler("payment_reconcile")(event, {})["data"]


def test_a_crash_before_the_refund_was_recorded_is_finished_by_reconcile(seeded):
    from retail.common.vocabulary import OrderStatus
    from retail.orders.refunding import start_refunding

    order = paid_through_wechat_pay(seeded, "refund-owed-0001")
    start_refunding(seeded, order["order_id"], OrderStatus.PAID, "changed mind", {"restock": True})
    assert seeded.refunds.count_documents({}) == 0  # the process died here
    seeded.orders.update_one(
        {"_id": order["order_id"]}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}}
    )
    _reconcile()
    refund = seeded.refunds.find_one({"_id": f"R{order['order_id']}"})
    assert refund["amount"] == order["total"]
    _reconcile()
    assert seeded.refunds.count_documents({}) == 1


def test_the_sandbox_refuses_the_refunds_wechat_pay_refuses(seeded):
    """The documented rules: amount.total is the payment's total, refunds of one payment add up
    to at most that total, and an out_refund_no asks for one amount only."""
    from retail.common.errors import UpstreamUnavailable

    order = paid_through_wechat_pay(seeded, "sandbox-rules-0001")
    client, total = wechatpay_client(), order["total"]

    def refund(number, amount, paid=total):
        return client.refund(
            out_trade_no=order["out_trade_no"],
            out_refund_no=number,
            refund=amount,
            total=paid,
            reason="test",
        )

    with pytest.raises(UpstreamUnavailable):
        refund("RT-1", 100, paid=100)  # the refund's amount sent as the total
    assert refund("RT-2", total - 100)["status"] == "PROCESSING"
    with pytest.raises(UpstreamUnavailable):
        refund("RT-3", 101)  # more than is left to refund
    with pytest.raises(UpstreamUnavailable):
        refund("RT-2", 50)  # the same refund number for another amount
    assert refund("RT-2", total - 100)["status"] == "PROCESSING"  # a retry is fine
    assert refund("RT-4", 100)["status"] == "PROCESSING"
    assert seeded.sandbox_wechatpay.count_documents({"kind": "refund"}) == 2
