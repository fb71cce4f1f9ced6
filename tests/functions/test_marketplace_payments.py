"""Marketplace mode's money (docs/decisions/0025): an order is paid as one combined
transaction with a sub-order per merchant into the merchant's own account, and given back
sub-order by sub-order, each by its merchant; nothing lands in the platform's account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from retail.common.clock import utcnow
from retail.common.settings import reset_settings
from retail.payments.combined import in_proportion
from retail.payments.config import wechatpay_config
from retail.payments.transactions import apply_transaction
from retail_dev import wechatpay_sandbox as sandbox

from .harness import as_operator, call, handler, place, sample

# The sample order: mango from m-huaxia and eggs from m-self, by express.
MANGO, EGGS = "m-huaxia", "m-self"
SUB_MCHIDS = {"m-self": "1000000001", "m-huaxia": "1000000002", "m-dianfeng": "1000000003"}


def deliver_to(function: str):
    """A sandbox sender that hands WeChat Pay's notification to `function` in this process."""

    def send(_url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
        event = {
            "httpMethod": "POST",
            "headers": {k.lower(): v for k, v in headers.items()},
            "body": body,
            "requestContext": {"sourceIp": "127.0.0.1"},
        }
        return [handler(function)(event, {})["statusCode"] for _ in range(times)]

    return send


@pytest.fixture
def shop(seeded, monkeypatch, fresh_sandbox):
    """A marketplace whose three merchants are active sub-merchants."""
    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "marketplace")
    reset_settings()
    onboard(seeded)
    return seeded


def onboard(db: Any) -> None:
    """Every merchant saved with its sub-merchant (SUB_MCHIDS), which WeChat Pay knows."""
    for merchant in db.merchants.find({}):
        saved = {
            "merchant_id": merchant["_id"],
            "name": merchant["name"],
            "commission_rate_bp": merchant["commission_rate_bp"],
            "sub_mchid": SUB_MCHIDS[merchant["_id"]],
        }
        assert as_operator("merchant_save", saved)["data"]["sale_refusal"] is None


def sent(db: Any, path: str) -> list[dict[str, Any]]:
    """What the back end POSTed to `path`, as the platform journal recorded it."""
    return [c["body"] for c in db.sandbox_platform_calls.find({"path": path, "method": "POST"})]


def prepaid(db: Any, key: str, **changes: Any) -> dict[str, Any]:
    order = place(key, **changes)["data"]
    answer = call("payment_prepay", {"order_id": order["order_id"]})
    assert answer["code"] == "OK", answer
    assert answer["data"]["package"].startswith("prepay_id=up_wx")
    return db.orders.find_one({"_id": order["order_id"]})


def paid(db: Any, key: str, **changes: Any) -> dict[str, Any]:
    order = prepaid(db, key, **changes)
    assert sandbox.pay(order["out_trade_no"], send=deliver_to("payment_notify")) == [200]
    return db.orders.find_one({"_id": order["_id"]})


def test_a_cart_of_two_merchants_is_one_combined_payment_a_sub_order_each(shop):
    order = prepaid(shop, "combined-0001")
    (asked,) = sent(shop, "/v3/combine-transactions/jsapi")
    config = wechatpay_config()
    assert (asked["combine_mchid"], asked["combine_appid"]) == (config.mchid, config.appid)
    assert asked["combine_out_trade_no"] == order["out_trade_no"]
    assert asked["combine_payer_info"] == {"openid": order["openid"]}
    subs = {s["sub_mchid"]: s for s in asked["sub_orders"]}
    assert set(subs) == {SUB_MCHIDS[MANGO], SUB_MCHIDS[EGGS]}
    assert sum(s["amount"]["total_amount"] for s in subs.values()) == order["total"]
    for merchant_id in (MANGO, EGGS):
        sub = subs[SUB_MCHIDS[merchant_id]]
        gross = sum(ln["amount"] for ln in order["lines"] if ln["merchant_id"] == merchant_id)
        assert sub["mchid"] == config.mchid and sub["attach"] == order["_id"]
        assert sub["settle_info"]["profit_sharing"] is True
        # what the buyer paid for the goods plus the platform's subsidy is the full price
        paid_for_goods = sub["amount"]["total_amount"] - (
            order["freight"] * gross // order["goods_amount"]
        )
        assert abs(paid_for_goods + sub["settle_info"]["subsidy_amount"] - gross) <= 1
    kept = [(s["merchant_id"], s["out_trade_no"], s["amount"]) for s in order["sub_orders"]]
    assert kept == [
        (s["merchant_id"], f"{order['_id']}S{n}", s["amount"])
        for n, s in enumerate(order["sub_orders"], start=1)
    ]
    # a second prepay of the same order asks for the same sub-orders
    assert call("payment_prepay", {"order_id": order["_id"]})["code"] == "OK"
    assert len(sent(shop, "/v3/combine-transactions/jsapi")) <= 2


def test_the_combined_notification_pays_the_order_once(shop):
    order = prepaid(shop, "combined-0002")
    statuses = sandbox.pay(order["out_trade_no"], duplicates=3, send=deliver_to("payment_notify"))
    assert statuses == [200, 200, 200]
    stored = shop.orders.find_one({"_id": order["_id"]})
    assert stored["status"] == "PAID" and stored["paid_amount"] == order["total"]
    at_wechat = shop.sandbox_wechatpay.find_one({"_id": f"combine:{order['_id']}"})
    by_number = {s["out_trade_no"]: s["transaction_id"] for s in at_wechat["sub_orders"]}
    assert stored["sub_transactions"] == by_number
    assert stored["transaction_id"] == by_number[min(by_number)]
    assert call("order_get", {"order_id": order["_id"]})["data"]["transaction_id"]


def test_a_lost_notification_is_found_by_reconciliation(shop):
    order = prepaid(shop, "combined-0003")
    assert sandbox.pay(order["out_trade_no"], send=lambda *_a: [0]) == [0]  # nobody heard
    shop.orders.update_one(
        {"_id": order["_id"]}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}}
    )
    answer = handler("payment_reconcile")(sample("payment_reconcile"), {})
    assert answer["code"] == "OK", answer
    assert shop.orders.find_one({"_id": order["_id"]})["status"] == "PAID"


def test_cancelling_closes_every_sub_order_at_once(shop):
    order = prepaid(shop, "combined-0004")
    assert call("order_cancel", {"order_id": order["_id"]})["data"]["status"] == "CANCELLED"
    (closed,) = sent(shop, f"/v3/combine-transactions/out-trade-no/{order['_id']}/close")
    assert {s["out_trade_no"] for s in closed["sub_orders"]} == {
        s["out_trade_no"] for s in order["sub_orders"]
    }
    at_wechat = shop.sandbox_wechatpay.find_one({"_id": f"combine:{order['_id']}"})
    assert {s["trade_state"] for s in at_wechat["sub_orders"]} == {"CLOSED"}
    with pytest.raises(LookupError):
        sandbox.pay(order["out_trade_no"])


def test_a_whole_refund_is_given_back_by_each_merchant_and_ends_when_all_have(shop):
    order = paid(shop, "combined-0005")
    answer = call("refund_request", {"order_id": order["_id"], "reason": "not wanted"})
    assert answer["data"]["status"] == "REFUNDING", answer
    asked = sent(shop, "/v3/ecommerce/refunds/apply")
    plan = {s["out_trade_no"]: s for s in order["sub_orders"]}
    assert {a["out_trade_no"] for a in asked} == set(plan)
    for refund in asked:
        sub = plan[refund["out_trade_no"]]
        assert refund["sub_mchid"] == sub["sub_mchid"]
        assert refund["amount"] == {
            "refund": sub["amount"],
            "total": sub["amount"],
            "currency": "CNY",
        }
    assert sent(shop, "/v3/refund/domestic/refunds") == []  # never the platform's own account
    first, second = sorted(a["out_refund_no"] for a in asked)
    assert sandbox.complete_refund(first, send=deliver_to("refund_notify")) == [200]
    stored = shop.orders.find_one({"_id": order["_id"]})
    assert (stored["status"], stored["refund_status"]) == ("REFUNDING", "PROCESSING")
    assert sandbox.complete_refund(second, send=deliver_to("refund_notify")) == [200]
    stored = shop.orders.find_one({"_id": order["_id"]})
    assert (stored["status"], stored["refund_status"]) == ("REFUNDED", "SUCCESS")


def test_a_parcel_refund_is_its_merchants_sub_order_only(shop):
    order = paid(shop, "combined-0006")
    answer = call("refund_request", {"order_id": order["_id"], "reason": "no", "merchant_id": EGGS})
    parcel = answer["data"]["parcel_refunds"][EGGS]
    (asked,) = sent(shop, "/v3/ecommerce/refunds/apply")
    (eggs,) = [s for s in order["sub_orders"] if s["merchant_id"] == EGGS]
    assert (asked["sub_mchid"], asked["out_trade_no"]) == (eggs["sub_mchid"], eggs["out_trade_no"])
    assert asked["amount"] == {
        "refund": parcel["amount"],
        "total": eggs["amount"],
        "currency": "CNY",
    }
    # the eggs never left: their merchant's whole sub-order, its part of the freight too
    assert order["freight"] > 0 and parcel["amount"] == eggs["amount"]
    assert sandbox.complete_refund(asked["out_refund_no"], send=deliver_to("refund_notify")) == [
        200
    ]
    done = shop.orders.find_one({"_id": order["_id"]})["parcel_refunds"][EGGS]
    assert (done["status"], done["refund_status"]) == ("REFUNDED", "SUCCESS")
    # the rest of the order, refunded later, comes only from what each sub-order still holds
    assert call("refund_request", {"order_id": order["_id"], "reason": "all"})["code"] == "OK"
    by_sub: dict[str, int] = {}
    for refund in sent(shop, "/v3/ecommerce/refunds/apply"):
        by_sub[refund["out_trade_no"]] = (
            by_sub.get(refund["out_trade_no"], 0) + refund["amount"]["refund"]
        )
    assert all(by_sub[s["out_trade_no"]] <= s["amount"] for s in order["sub_orders"])


def test_a_parcel_returned_after_it_left_gives_back_its_goods_not_the_freight(shop):
    order = paid(shop, "combined-0016")
    ship = {"order_id": order["_id"], "carrier": "SF", "tracking_no": "SF1600000001"}
    assert as_operator("order_ship", ship, f"merchant:{MANGO}")["code"] == "OK"
    asked = {"order_id": order["_id"], "reason": "bruised", "merchant_id": MANGO}
    assert call("refund_request", asked)["code"] == "OK"
    review = {"order_id": order["_id"], "approve": True}
    assert as_operator("refund_review", review)["code"] == "OK"
    (refund,) = sent(shop, "/v3/ecommerce/refunds/apply")
    (mango,) = [s for s in order["sub_orders"] if s["merchant_id"] == MANGO]
    goods = sum(ln["amount"] for ln in order["lines"] if ln["merchant_id"] == MANGO)
    assert refund["out_trade_no"] == mango["out_trade_no"]
    assert refund["amount"]["refund"] <= goods < mango["amount"]  # its freight part stays


def test_a_merchant_that_cannot_be_paid_stops_the_prepay(shop):
    order = place("combined-0007")["data"]
    suspended = {
        "merchant_id": MANGO,
        "name": "花夏",
        "commission_rate_bp": 500,
        "status": "SUSPENDED",
    }
    assert as_operator("merchant_save", suspended)["code"] == "OK"
    refused = call("payment_prepay", {"order_id": order["order_id"]})
    assert refused["code"] == "CONFLICT" and refused["details"]["reason"] == "MERCHANT_NOT_PAYABLE"
    assert refused["details"]["merchant_id"] == MANGO
    assert sent(shop, "/v3/combine-transactions/jsapi") == []


@pytest.mark.parametrize(
    "tamper",
    ["amount", "sub_mchid", "unknown_sub_order", "missing_sub_order", "partial"],
)
def test_a_combined_payment_that_is_not_the_plan_is_given_back_and_pays_nothing(shop, tamper):
    order = prepaid(shop, f"combined-tamper-{tamper}")
    tx = _combined_as_paid(order)
    subs = tx["sub_orders"]
    if tamper == "amount":
        subs[0]["amount"]["total_amount"] += 1
    elif tamper == "sub_mchid":
        subs[0]["sub_mchid"] = "1000000003"
    elif tamper == "unknown_sub_order":
        subs[0]["out_trade_no"] = order["_id"] + "S9"
    elif tamper == "missing_sub_order":
        subs.pop()
    else:
        subs[0]["trade_state"] = "NOTPAY"
    outcome = apply_transaction(shop, wechatpay_config(), tx)
    assert outcome == "mismatch_refunded"
    assert apply_transaction(shop, wechatpay_config(), tx) == "mismatch_refunded"  # once
    assert shop.orders.find_one({"_id": order["_id"]})["status"] == "PENDING_PAYMENT"
    refunds = list(shop.refunds.find({}))
    paid_subs = [s for s in subs if s["trade_state"] == "SUCCESS"]
    assert sorted(r["out_trade_no"] for r in refunds) == sorted(
        s["out_trade_no"] for s in paid_subs
    )
    assert all(r["amount"] == r["total"] and r["sub_mchid"] for r in refunds)
    assert shop.risk_events.count_documents({"kind": "payment_mismatch"}) == 1


def _combined_as_paid(order: dict[str, Any]) -> dict[str, Any]:
    """The order's combined transaction as WeChat Pay would report it paid (a notification's
    resource, decrypted)."""
    config = wechatpay_config()
    return {
        "combine_appid": config.appid,
        "combine_mchid": config.mchid,
        "combine_out_trade_no": order["out_trade_no"],
        "combine_payer_info": {"openid": order["openid"]},
        "sub_orders": [
            {
                "mchid": config.mchid,
                "sub_mchid": s["sub_mchid"],
                "out_trade_no": s["out_trade_no"],
                "trade_type": "JSAPI",
                "trade_state": "SUCCESS",
                "transaction_id": f"42{s['out_trade_no']}",
                "amount": {
                    "total_amount": s["amount"],
                    "payer_amount": s["amount"],
                    "currency": "CNY",
                },
            }
            for s in order["sub_orders"]
        ],
    }


@pytest.mark.parametrize(
    ("amount", "weights"),
    [(1001, {"a": 1, "b": 1, "c": 1}), (7, {"a": 5, "b": 0}), (0, {"a": 3, "b": 9}), (5, {"a": 0})],
)
def test_shares_add_up_to_the_whole_and_follow_the_weights(amount, weights):
    shares = in_proportion(amount, weights)
    assert sum(shares.values()) == amount
    total = sum(weights.values())
    for merchant_id, weight in weights.items():
        if total:
            assert abs(shares[merchant_id] - amount * weight / total) < 1
