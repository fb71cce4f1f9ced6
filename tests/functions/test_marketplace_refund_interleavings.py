"""Marketplace refunds that held under a hostile review of issue 30's first build: a whole
refund with a part closed and asked again and a part abnormal, a parcel refund and then the
whole with points, a late combined payment whose notification was lost."""

from __future__ import annotations

from typing import Any

from retail_dev import wechatpay_sandbox as sandbox

from .harness import call
from .test_marketplace_payments import EGGS, deliver_to, paid, sent
from .test_marketplace_payments import shop as shop


def _asked(db: Any) -> dict[str, int]:
    by: dict[str, int] = {}
    for r in sent(db, "/v3/ecommerce/refunds/apply"):
        by[r["out_trade_no"]] = by.get(r["out_trade_no"], 0) + r["amount"]["refund"]
    return by


def test_whole_refund_with_a_closed_part_and_an_abnormal_part_ends_refunded(shop):
    order = paid(shop, "r30-held-0001")
    assert call("refund_request", {"order_id": order["_id"], "reason": "x"})["code"] == "OK"
    first, second = sorted(r["out_refund_no"] for r in sent(shop, "/v3/ecommerce/refunds/apply"))
    assert sandbox.complete_refund(first, "ABNORMAL", send=deliver_to("refund_notify")) == [200]
    assert sandbox.complete_refund(second, "CLOSED", send=deliver_to("refund_notify")) == [200]
    stored = shop.orders.find_one({"_id": order["_id"]})
    assert stored["status"] == "REFUNDING"
    again = f"{second}-2"
    assert shop.refunds.find_one({"_id": again})["status"] == "PROCESSING"
    assert sandbox.complete_refund(again, send=deliver_to("refund_notify")) == [200]
    assert shop.orders.find_one({"_id": order["_id"]})["status"] == "REFUNDING"
    assert sandbox.complete_refund(first, send=deliver_to("refund_notify")) == [200]
    stored = shop.orders.find_one({"_id": order["_id"]})
    assert (stored["status"], stored["refund_status"]) == ("REFUNDED", "SUCCESS")
    plan = {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]}
    live = {}
    for r in shop.refunds.find({"order_id": order["_id"], "status": {"$ne": "CLOSED"}}):
        live[r["out_trade_no"]] = live.get(r["out_trade_no"], 0) + r["amount"]
    assert live == plan


def test_parcel_then_whole_with_points_never_asks_a_sub_order_for_more(shop):
    from retail.members import award_points

    call("user_login", {})
    award_points(shop, "o-test-user", 3000, "test:grant", "granted by the test")
    from .harness import place

    order = place("r30-held-0002", points=3000)["data"]
    assert call("payment_prepay", {"order_id": order["order_id"]})["code"] == "OK"
    assert sandbox.pay(order["out_trade_no"], send=deliver_to("payment_notify")) == [200]
    stored = shop.orders.find_one({"_id": order["order_id"]})
    call("refund_request", {"order_id": stored["_id"], "reason": "x", "merchant_id": EGGS})
    call("refund_request", {"order_id": stored["_id"], "reason": "all"})
    plan = {s["out_trade_no"]: s["amount"] for s in stored["sub_orders"]}
    asked = _asked(shop)
    assert all(asked[n] <= plan[n] for n in asked), (asked, plan)
    assert sum(asked.values()) == stored["paid_amount"]


def test_a_late_combined_payment_whose_notification_was_lost_is_given_back_once(shop):
    from datetime import timedelta

    from retail.common.clock import utcnow

    from .harness import handler, sample
    from .test_marketplace_payments import prepaid

    order = prepaid(shop, "r30-held-0003")
    assert call("order_cancel", {"order_id": order["_id"]})["data"]["status"] == "CANCELLED"
    store = shop.sandbox_wechatpay
    record = store.find_one({"_id": f"combine:{order['_id']}"})
    subs = [
        {**s, "trade_state": "SUCCESS", "transaction_id": f"42{s['out_trade_no']}"}
        for s in record["sub_orders"]
    ]
    store.update_one({"_id": record["_id"]}, {"$set": {"sub_orders": subs}})
    shop.orders.update_one(
        {"_id": order["_id"]}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}}
    )
    for _ in range(2):
        assert handler("payment_reconcile")(sample("payment_reconcile"), {})["code"] == "OK"
    plan = {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]}
    assert _asked(shop) == plan
    assert shop.orders.find_one({"_id": order["_id"]})["status"] == "CANCELLED"
