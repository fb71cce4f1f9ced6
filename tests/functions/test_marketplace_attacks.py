"""Marketplace pay-in and refunds under attack and odd timing (found by a hostile review of
issue 30's first build, each once a failing test): a part-paid combined payment listed in any
order, two of them, one partly refunded before reconciliation finds it, an order whose
smallest merchant rounds to nothing, one sub-merchant claimed by two merchants, a crash
between two parts of a whole refund, a prepay asked again after a merchant was suspended."""

from __future__ import annotations

import contextlib
import copy
from datetime import timedelta
from typing import Any

from retail.common.clock import utcnow
from retail.payments.config import wechatpay_config
from retail.payments.transactions import apply_transaction
from retail_dev import wechatpay_sandbox as sandbox

from .harness import as_operator, call, handler, sample
from .test_marketplace_payments import _combined_as_paid, deliver_to, prepaid, sent
from .test_marketplace_payments import shop as shop


def _asked_per_sub_order(db: Any) -> dict[str, int]:
    asked: dict[str, int] = {}
    for refund in sent(db, "/v3/ecommerce/refunds/apply"):
        asked[refund["out_trade_no"]] = (
            asked.get(refund["out_trade_no"], 0) + refund["amount"]["refund"]
        )
    return asked


def _records_per_sub_order(db: Any, order_id: str) -> dict[str, int]:
    kept: dict[str, int] = {}
    for record in db.refunds.find({"order_id": order_id}):
        kept[record["out_trade_no"]] = kept.get(record["out_trade_no"], 0) + record["amount"]
    return kept


def _partly_paid(order: dict[str, Any]) -> dict[str, Any]:
    """WeChat Pay's report of the combined payment with its first sub-order not paid (no
    transaction_id: WeChat Pay gives one only to a paid sub-order) and the others paid."""
    tx = _combined_as_paid(order)
    first = tx["sub_orders"][0]
    first["trade_state"] = "NOTPAY"
    del first["transaction_id"]
    first["amount"]["payer_amount"] = 0
    return tx


def test_a_partial_payment_listed_in_any_order_is_refunded_once(shop):
    """as_transaction promises that sub-orders listed in any order mean the same payment, but
    transaction_parts numbers the parts by their place in WeChat Pay's list: the notification
    and the query of one partly paid payment, listed differently, give the paid sub-order two
    refund records, each for its whole amount."""
    order = prepaid(shop, "r30-order-0001")
    notified = _partly_paid(order)
    queried = copy.deepcopy(notified)
    queried["sub_orders"].reverse()
    assert apply_transaction(shop, wechatpay_config(), notified) == "mismatch_refunded"
    assert apply_transaction(shop, wechatpay_config(), queried) == "mismatch_refunded"
    plan = {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]}
    kept = _records_per_sub_order(shop, order["_id"])
    assert all(kept[n] <= plan[n] for n in kept), (kept, plan)


def test_two_partly_paid_orders_are_refunded_under_their_own_numbers(shop):
    """A partly paid combined payment whose first sub-order (by out_trade_no) is unpaid has no
    transaction_id: its refunds are numbered 'TNoneS<n>' and its risk event
    'payment_mismatch:None', the same for every such order. The second order's money is
    never given back and its risk event is swallowed."""
    first = prepaid(shop, "r30-none-0001")
    second = prepaid(shop, "r30-none-0002")
    for order in (first, second):
        assert apply_transaction(shop, wechatpay_config(), _partly_paid(order)) == (
            "mismatch_refunded"
        )
    for order in (first, second):
        paid_subs = {s["out_trade_no"] for s in order["sub_orders"][1:]}
        refunded = {r["out_trade_no"] for r in shop.refunds.find({"order_id": order["_id"]})}
        assert paid_subs <= refunded, (order["_id"], sorted(shop.refunds.distinct("_id")))
    assert shop.risk_events.count_documents({"kind": "payment_mismatch"}) == 2


def test_a_late_payment_partly_refunded_is_not_refunded_again_by_reconciliation(shop):
    """A combined payment that arrives after the order was cancelled is given back by its
    sub-orders (R<order>S<n>); one merchant's refund has gone through, the other's not yet.
    WeChat Pay's query now shows the first sub-order as REFUND (0025: a sub-order's
    trade_state is SUCCESS | REFUND | NOTPAY | CLOSED | PAYERROR). payment_reconcile reads
    {REFUND, SUCCESS} as a PARTIAL payment that does not match the plan and refunds the
    second sub-order whole a second time, under T<transaction>S<n>."""
    order = prepaid(shop, "r30-late-0001")
    assert call("order_cancel", {"order_id": order["_id"]})["data"]["status"] == "CANCELLED"
    # WeChat Pay took the money anyway (the payment raced the close)
    store = shop.sandbox_wechatpay
    record = store.find_one({"_id": f"combine:{order['_id']}"})
    store.update_one(
        {"_id": record["_id"]},
        {
            "$set": {
                "sub_orders": [
                    {**s, "trade_state": "SUCCESS", "transaction_id": f"42{s['out_trade_no']}"}
                    for s in record["sub_orders"]
                ]
            }
        },
    )
    assert sandbox.pay(order["out_trade_no"], send=deliver_to("payment_notify")) == [200]
    stored = shop.orders.find_one({"_id": order["_id"]})
    assert stored["status"] == "CANCELLED" and stored["refund_status"] == "PROCESSING"
    first, _second = sorted(r["out_refund_no"] for r in sent(shop, "/v3/ecommerce/refunds/apply"))
    assert sandbox.complete_refund(first, send=deliver_to("refund_notify")) == [200]
    # as WeChat Pay shows a refunded sub-order
    refunded_sub = store.find_one({"_id": f"refund:{first}"})["out_trade_no"]
    now_at_wechat = store.find_one({"_id": record["_id"]})["sub_orders"]
    store.update_one(
        {"_id": record["_id"]},
        {
            "$set": {
                "sub_orders": [
                    {**s, "trade_state": "REFUND"} if s["out_trade_no"] == refunded_sub else s
                    for s in now_at_wechat
                ]
            }
        },
    )
    shop.orders.update_one(
        {"_id": order["_id"]}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}}
    )
    assert handler("payment_reconcile")(sample("payment_reconcile"), {})["code"] == "OK"
    plan = {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]}
    asked = _asked_per_sub_order(shop)
    assert all(asked[n] <= plan[n] for n in asked), (asked, plan)
    kept = _records_per_sub_order(shop, order["_id"])
    assert all(kept[n] <= plan[n] for n in kept), (kept, plan)
    assert shop.risk_events.count_documents({"kind": "payment_mismatch"}) == 0


def test_an_order_whose_smallest_merchant_rounds_to_nothing_is_paid(shop):
    """Three merchants, free shipping (goods >= 99 yuan), points for half: the plan gives each
    merchant its share of the 5000 fen paid by largest remainders; two merchants of 1 fen of
    goods each weigh 0.5 fen and only one fen is left over, so one gets 0 and the prepay is
    refused ('a merchant's part of this order is nothing'). The order was accepted and
    direct mode would take the payment; in marketplace mode the buyer can never pay it."""
    from retail.members import award_points

    call("user_login", {})
    award_points(shop, "o-test-user", 5000, "test:grant", "granted by the test")
    shop.skus.update_one({"_id": "p-mango-1"}, {"$set": {"price": 4999}})
    shop.skus.update_one({"_id": "p-eggs-1"}, {"$set": {"price": 1}})
    shop.skus.update_one({"_id": "p-chili-1"}, {"$set": {"price": 1}})
    items = [
        {"sku_id": "p-mango-1", "qty": 2},
        {"sku_id": "p-eggs-1", "qty": 1},
        {"sku_id": "p-chili-1", "qty": 1},
    ]
    from .harness import place

    placed = place("r30-tiny-0001", items=items, points=5000)
    assert placed["code"] == "OK", placed
    order = placed["data"]
    assert (order["freight"], order["total"]) == (0, 5000)
    answer = call("payment_prepay", {"order_id": order["order_id"]})
    assert answer["code"] == "OK", answer


def test_one_sub_merchant_number_cannot_be_given_to_two_merchants(shop):
    """merchant_save checks that WeChat Pay answers the sub_mchid's balance (it is one of the
    platform's) but not that it is this merchant's: m-dianfeng saved with m-self's number is
    ACTIVE, so m-dianfeng's sales are paid into m-self's account, and an order with goods of
    both can never be paid (WeChat Pay takes one sub-order per sub-merchant)."""
    saved = {
        "merchant_id": "m-dianfeng",
        "name": "滇峰云南特产",
        "commission_rate_bp": 800,
        "sub_mchid": "1000000001",  # m-self's
    }
    answer = as_operator("merchant_save", saved)
    assert answer["code"] == "CONFLICT" and answer["details"]["merchant_id"] == "m-self", answer


def test_a_crash_between_two_parts_never_lets_one_part_end_the_refund(shop, monkeypatch):
    """A whole refund is sent part by part; the process dies after the first part is sent.
    Every part was recorded first, so the first part's SUCCESS does not end the order's
    refund, and reconciliation sends the second."""
    from retail.payments import refunds

    from .harness import Crash
    from .test_marketplace_payments import paid

    order = paid(shop, "r30-crash-0001")
    real = refunds.send_refund
    calls = {"n": 0}

    def dies_at_second_part(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Crash("after the first part")
        return real(*args, **kwargs)

    monkeypatch.setattr(refunds, "send_refund", dies_at_second_part)
    with contextlib.suppress(Crash):
        call("refund_request", {"order_id": order["_id"], "reason": "不要了"})
    monkeypatch.setattr(refunds, "send_refund", real)
    assert shop.refunds.count_documents({"order_id": order["_id"]}) == 2  # both recorded
    (first,) = [r["out_refund_no"] for r in sent(shop, "/v3/ecommerce/refunds/apply")]
    assert sandbox.complete_refund(first, send=deliver_to("refund_notify")) == [200]
    assert shop.orders.find_one({"_id": order["_id"]})["status"] == "REFUNDING"
    shop.orders.update_one(
        {"_id": order["_id"]}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}}
    )
    shop.refunds.update_many({}, {"$set": {"created_at": utcnow() - timedelta(hours=1)}})
    assert handler("payment_reconcile")(sample("payment_reconcile"), {})["code"] == "OK"
    asked = _asked_per_sub_order(shop)
    plan = {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]}
    assert asked == plan


def test_a_second_prepay_after_the_merchant_was_suspended_is_refused(shop, monkeypatch):
    """A payment window longer than a prepay_id's two hours (RETAIL_PAYMENT_TIMEOUT_SECONDS
    allows 7 days): the first prepay planned the sub-orders; the merchant is then suspended.
    The next prepay (a new prepay_id is asked) reuses the plan without asking whether its
    merchants may still be paid, so the suspended merchant gets a combined sub-order and the
    buyer's money; direct mode's prepay refuses the same order (require_payable)."""
    from retail.common.clock import travel
    from retail.common.settings import reset_settings

    from .harness import place
    from .test_marketplace_payments import MANGO

    monkeypatch.setenv("RETAIL_PAYMENT_TIMEOUT_SECONDS", str(6 * 3600))
    reset_settings()
    order = place("r30-suspend-0001")["data"]
    assert call("payment_prepay", {"order_id": order["order_id"]})["code"] == "OK"
    suspended = {"merchant_id": MANGO, "name": "花夏", "commission_rate_bp": 500}
    assert as_operator("merchant_save", {**suspended, "status": "SUSPENDED"})["code"] == "OK"
    try:
        travel(timedelta(hours=3))  # the first prepay_id has expired
        again = call("payment_prepay", {"order_id": order["order_id"]})
    finally:
        travel(timedelta(0))
    assert again["code"] == "CONFLICT", again
    assert len(sent(shop, "/v3/combine-transactions/jsapi")) == 1
