"""profit_sharing_run (docs/decisions/0025): once a marketplace order is complete, past its
refund window, settled by WeChat and counted in its merchants' statements, each sub-order's
subsidy is paid, the statement's commission split off to the platform and the rest released
to the merchant, once, in WeChat Pay's order."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from retail.common.clock import day_of, travel, utcnow
from retail.members import award_points
from retail.payments.config import wechatpay_config
from retail.settlement.ledger import commission_on
from retail_dev import wechatpay_sandbox as sandbox

from .harness import BUYER, as_operator, call, handler, receive, sample
from .test_marketplace_payments import MANGO, SUB_MCHIDS, deliver_to, paid, sent
from .test_marketplace_payments import shop as shop  # the marketplace fixture

SHARING = "/v3/ecommerce/profitsharing"


@pytest.fixture(autouse=True)
def back_to_now():
    yield
    travel(timedelta(0))


def run() -> dict[str, Any]:
    answer = handler("profit_sharing_run")(sample("profit_sharing_run"), {})
    assert answer["code"] == "OK", answer
    data: dict[str, Any] = answer["data"]
    return data


def settle(day: str) -> None:
    event = {**sample("settlement_run"), "Message": json.dumps({"day": day})}
    assert handler("settlement_run")(event, {})["code"] == "OK"


def completed(db: Any, key: str, **changes: Any) -> dict[str, Any]:
    order = paid(db, key, **changes)
    ship = {"order_id": order["_id"], "carrier": "SF", "tracking_no": f"SF{key[-4:]}0000"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    assert receive(order["_id"], order["openid"])["data"]["status"] == "COMPLETED"
    return db.orders.find_one({"_id": order["_id"]})


def later(days: float) -> None:
    travel(timedelta(days=days))


def test_a_completed_order_is_split_by_the_statement_and_released_once(shop):
    order = completed(shop, "share-0001")
    assert run()["finished"] == 0  # its refund window has not passed
    assert sent(shop, f"{SHARING}/orders") == []
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    summary = run()
    assert summary["finished"] == len(order["sub_orders"]), summary
    shares = {s["merchant_id"]: s for s in shop.profit_shares.find({})}
    for sub in order["sub_orders"]:
        share = shares[sub["merchant_id"]]
        rate = shop.merchants.find_one({"_id": sub["merchant_id"]})["commission_rate_bp"]
        lines = [ln for ln in order["lines"] if ln["merchant_id"] == sub["merchant_id"]]
        assert share["commission"] == sum(commission_on(ln["amount"], rate) for ln in lines)
        assert share["state"] == "FINISHED" and share["sub_mchid"] == SUB_MCHIDS[sub["merchant_id"]]
        assert share["subsidy"] == sub["subsidy"]
    splits = sent(shop, f"{SHARING}/orders")
    finishes = sent(shop, f"{SHARING}/finish-order")
    paid_commission = [s for s in shares.values() if s["commission"] > 0]
    assert len(splits) == len(paid_commission) and len(splits) + len(finishes) == len(shares)
    for split in splits:
        (receiver,) = split["receivers"]
        share = shares[
            next(m for m, s in shares.items() if s["transaction_id"] == split["transaction_id"])
        ]
        assert receiver["amount"] == share["commission"] and split["finish"] is True
    subsidised = [s for s in shares.values() if s["subsidy"] > 0]
    assert len(sent(shop, "/v3/ecommerce/subsidies/create")) == len(subsidised)
    stored = shop.orders.find_one({"_id": order["_id"]})
    assert "sharing_due" not in stored and stored["shared_at"]
    calls = shop.sandbox_platform_calls.count_documents({})
    later(9)
    assert run() == {"orders": 0, "finished": 0, "waiting": 0}
    assert shop.sandbox_platform_calls.count_documents({}) == calls  # nothing asked twice


def test_an_unsettled_day_waits_for_its_statement(shop):
    order = completed(shop, "share-0002")
    later(8)
    summary = run()
    assert summary["finished"] == 0 and summary["waiting"] == 1
    assert shop.profit_shares.count_documents({}) == 0
    settle(day_of(order["completed_at"]).isoformat())
    later(8.1)  # the next look, an hour on
    assert run()["finished"] == len(order["sub_orders"])


def test_a_refunded_order_releases_what_its_refunds_left_and_pays_no_subsidy(shop):
    order = paid(shop, "share-0003")
    assert call("refund_request", {"order_id": order["_id"], "reason": "no"})["code"] == "OK"
    run()
    assert shop.profit_shares.count_documents({}) == 0  # its refunds are on their way
    for refund in sent(shop, "/v3/ecommerce/refunds/apply"):
        sandbox.complete_refund(refund["out_refund_no"], send=deliver_to("refund_notify"))
    assert shop.orders.find_one({"_id": order["_id"]})["status"] == "REFUNDED"
    later(0.1)
    run()
    assert {s["state"] for s in shop.profit_shares.find({})} == {"FINISHED"}
    assert all(s["commission"] == 0 for s in shop.profit_shares.find({}))
    assert sent(shop, "/v3/ecommerce/subsidies/create") == []
    assert sent(shop, f"{SHARING}/orders") == []
    assert "sharing_due" not in shop.orders.find_one({"_id": order["_id"]})


def test_the_money_per_sub_order_adds_up(shop):
    """released + commission + refunded = paid + subsidy, for every sub-order."""
    order = completed(shop, "share-0004")
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    run()
    for share in shop.profit_shares.find({}):
        split = shop.sandbox_wechatpay.find_one({"_id": f"split:{share['out_order_no']}"})
        moved = sum(r["amount"] for r in split["receivers"])
        assert moved == share["commission"]
        assert (
            split["finish_amount"] + moved + share["refunded"] == share["paid"] + share["subsidy"]
        )


def test_an_order_still_held_by_wechat_waits(shop):
    order = completed(shop, "share-0005")
    shop.orders.update_one(
        {"_id": order["_id"]},
        {"$set": {"wechat_receipt.settled": False, "wechat_shipping.state": "UPLOADED"}},
    )
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    assert run()["finished"] == 0
    assert shop.orders.find_one({"_id": order["_id"]})["sharing_due"] > utcnow()


def discounted(db: Any, key: str) -> dict[str, Any]:
    """A completed order the buyer paid partly with a coupon and points: the platform funds
    them, so each merchant's sub-order declares a subsidy."""
    call("user_login", {})
    award_points(db, BUYER, 300, "test:grant", "granted by the test")
    coupon = call("coupon_claim", {"template_id": "c-new-user"})["data"]["coupon_id"]
    order = completed(db, key, coupon_id=coupon, points=200)
    assert all(s["subsidy"] > 0 for s in order["sub_orders"]), order["sub_orders"]
    return order


def test_a_discount_is_paid_to_each_merchant_as_a_subsidy_before_the_split(shop):
    order = discounted(shop, "share-0006")
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    run()
    paid_subsidies = {s["transaction_id"]: s for s in sent(shop, "/v3/ecommerce/subsidies/create")}
    for sub in order["sub_orders"]:
        share = shop.profit_shares.find_one({"_id": sub["out_trade_no"]})
        assert paid_subsidies[share["transaction_id"]]["amount"] == sub["subsidy"]
        assert share["state"] == "FINISHED" and share["subsidy_id"]
        # each merchant gets its full price less the commission: what the buyer paid for its
        # goods plus the subsidy is the goods' price
        gross = sum(
            ln["amount"] for ln in order["lines"] if ln["merchant_id"] == sub["merchant_id"]
        )
        freight = order["freight"] * gross // order["goods_amount"]
        assert abs(sub["amount"] - freight + sub["subsidy"] - gross) <= 1
    calls = [c["path"] for c in shop.sandbox_platform_calls.find({"method": "POST"})]
    last_subsidy = max(i for i, p in enumerate(calls) if p.endswith("/subsidies/create"))
    first_split = min(i for i, p in enumerate(calls) if p.startswith(SHARING))
    assert last_subsidy < first_split or len(order["sub_orders"]) > 1


def test_a_refund_after_the_split_returns_the_commission_and_the_subsidy(shop):
    order = discounted(shop, "share-0007")
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    run()
    (huaxia,) = [s for s in order["sub_orders"] if s["merchant_id"] == MANGO]
    share = shop.profit_shares.find_one({"_id": huaxia["out_trade_no"]})
    assert share["state"] == "FINISHED" and share["commission"] > 0
    asked = call(
        "refund_request", {"order_id": order["_id"], "reason": "bruised", "merchant_id": MANGO}
    )
    assert asked["code"] == "OK", asked
    review = {"order_id": order["_id"], "approve": True}
    assert as_operator("refund_review", review, "admin")["code"] == "OK"
    assert "sharing_due" in shop.orders.find_one({"_id": order["_id"]})  # looked at again
    # The commission goes back at once, without waiting for the refund (WeChat Pay: not
    # coupled, and the merchant's balance may need it to pay), the subsidy with the refund's
    # id as soon as WeChat Pay has accepted the refund.
    run()
    given = shop.profit_shares.find_one({"_id": huaxia["out_trade_no"]})
    assert given["state"] == "GIVEN_BACK", given
    (refund,) = sent(shop, "/v3/ecommerce/refunds/apply")
    assert sandbox.complete_refund(refund["out_refund_no"], send=deliver_to("refund_notify")) == [
        200
    ]
    later(8.1)
    run()
    (back,) = sent(shop, f"{SHARING}/returnorders")
    assert (
        back["amount"] == share["commission"] and back["return_mchid"] == wechatpay_config().mchid
    )
    (subsidy_back,) = sent(shop, "/v3/ecommerce/subsidies/return")
    assert subsidy_back["amount"] == huaxia["subsidy"]
    refund_id = shop.refunds.find_one({"out_trade_no": huaxia["out_trade_no"]})["refund_id"]
    assert subsidy_back["refund_id"] == refund_id
    others = [s for s in shop.profit_shares.find({}) if s["_id"] != huaxia["out_trade_no"]]
    assert {s["state"] for s in others} == {"FINISHED"}
    assert "sharing_due" not in shop.orders.find_one({"_id": order["_id"]})
    later(9)
    calls = shop.sandbox_platform_calls.count_documents({})
    run()
    assert shop.sandbox_platform_calls.count_documents({}) == calls


def refunded_whole(db: Any, order: dict[str, Any]) -> None:
    """The buyer asks the whole order back, an operator approves, every merchant's refund
    succeeds at WeChat Pay: the order ends REFUNDED (its assertions kept by the caller's)."""
    assert call("refund_request", {"order_id": order["_id"], "reason": "坏了"})["code"] == "OK"
    approved = as_operator("refund_review", {"order_id": order["_id"], "approve": True})
    assert approved["code"] == "OK", approved
    for refund in sent(db, "/v3/ecommerce/refunds/apply"):
        sandbox.complete_refund(refund["out_refund_no"], send=deliver_to("refund_notify"))
    assert db.orders.find_one({"_id": order["_id"]})["status"] == "REFUNDED"
