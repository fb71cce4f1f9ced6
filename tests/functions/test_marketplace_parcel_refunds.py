"""Marketplace parcel refunds (docs/decisions/0025): a parcel refunded before it left gives back
its merchant's whole sub-order, its part of the freight with its goods; one returned after it
left, its goods only. The money adds up with coupons, points and subsidies, racing the
shipment, both parcels at once, store orders, direct mode and orders paid before the mode
(a hostile review's attacks, kept as tests)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from retail.common.clock import day_of, travel
from retail.common.settings import reset_settings
from retail.members import award_points
from retail.orders.records import parcel_share
from retail_dev import wechatpay_sandbox as sandbox

from .harness import BUYER, as_operator, call, receive
from .test_marketplace_payments import EGGS, MANGO, deliver_to, paid, sent
from .test_marketplace_payments import shop as shop  # the marketplace fixture
from .test_profit_sharing import later, run, settle

WALNUT = "m-dianfeng"
THREE = [
    {"sku_id": "p-mango-1", "qty": 1},
    {"sku_id": "p-eggs-1", "qty": 1},
    {"sku_id": "p-walnut-1", "qty": 1},
]


@pytest.fixture(autouse=True)
def back_to_now():
    yield
    travel(timedelta(0))


def stored(db: Any, order: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = db.orders.find_one({"_id": order["_id"]})
    return found


def sub_of(order: dict[str, Any], merchant_id: str) -> dict[str, Any]:
    (sub,) = [s for s in order["sub_orders"] if s["merchant_id"] == merchant_id]
    return sub


def goods_of(order: dict[str, Any], merchant_id: str) -> int:
    return sum(ln["amount"] for ln in order["lines"] if ln["merchant_id"] == merchant_id)


def finish_refunds(db: Any) -> None:
    for refund in db.sandbox_wechatpay.find({"kind": "refund", "status": "PROCESSING"}):
        sandbox.complete_refund(refund["out_refund_no"], send=deliver_to("refund_notify"))


def refunded_at_wechat(db: Any) -> dict[str, int]:
    """What the sandbox agreed to give back, per sub-order (closed refunds left out)."""
    by_sub: dict[str, int] = {}
    for r in db.sandbox_wechatpay.find({"kind": "refund", "status": {"$ne": "CLOSED"}}):
        by_sub[r["out_trade_no"]] = by_sub.get(r["out_trade_no"], 0) + r["amount"]["refund"]
    return by_sub


def ship(order: dict[str, Any], merchant_id: str, tracking_no: str) -> None:
    data = {"order_id": order["_id"], "carrier": "SF", "tracking_no": tracking_no}
    assert as_operator("order_ship", data, f"merchant:{merchant_id}")["code"] == "OK"


def parcel_refund(order: dict[str, Any], merchant_id: str) -> dict[str, Any]:
    asked = {"order_id": order["_id"], "reason": "no", "merchant_id": merchant_id}
    answer = call("refund_request", asked)
    assert answer["code"] == "OK", answer
    return answer


def approve(order: dict[str, Any]) -> None:
    answer = as_operator("refund_review", {"order_id": order["_id"], "approve": True})
    assert answer["code"] == "OK", answer


def discounted_three(db: Any, key: str) -> dict[str, Any]:
    call("user_login", {})
    award_points(db, BUYER, 3000, f"grant:{key}", "granted by the test")
    coupon = call("coupon_claim", {"template_id": "c-new-user"})["data"]["coupon_id"]
    order = paid(db, key, items=THREE, coupon_id=coupon, points=100)
    assert order["freight"] > 0 and len(order["sub_orders"]) == 3
    assert all(s["subsidy"] > 0 for s in order["sub_orders"])
    return order


# --- the money adds up -------------------------------------------------------------------


def test_three_merchants_waiting_parcel_then_returned_parcel_then_the_rest(shop):
    order = discounted_three(shop, "rf-money-0001")
    parcel_refund(order, EGGS)  # never left: the whole sub-order
    ship(order, MANGO, "SF7000000001")
    parcel_refund(order, MANGO)  # left: review, its goods only
    approve(order)
    after = stored(shop, order)
    assert after["parcel_refunds"][EGGS]["amount"] == sub_of(order, EGGS)["amount"]
    assert after["parcel_refunds"][MANGO]["amount"] <= goods_of(order, MANGO)
    # the walnut is the last parcel: the rest of the order
    assert call("refund_request", {"order_id": order["_id"], "reason": "all"})["code"] == "OK"
    finish_refunds(shop)
    after = stored(shop, order)
    assert after["status"] == "REFUNDED", after["status"]
    by_sub = refunded_at_wechat(shop)
    for sub in order["sub_orders"]:
        assert by_sub.get(sub["out_trade_no"], 0) <= sub["amount"]
    assert sum(by_sub.values()) == order["paid_amount"]


def test_both_parcels_refunded_before_leaving_give_back_exactly_what_was_paid(shop):
    order = paid(shop, "rf-money-0002")
    parcel_refund(order, EGGS)
    finish_refunds(shop)
    parcel_refund(order, MANGO)  # the last parcel: the rest, as the whole order
    finish_refunds(shop)
    after = stored(shop, order)
    assert after["status"] == "REFUNDED"
    by_sub = refunded_at_wechat(shop)
    assert {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]} == by_sub


# --- points --------------------------------------------------------------------------------


def test_points_earned_on_completion_leave_out_the_whole_refunded_sub_order(shop):
    call("user_login", {})
    order = paid(shop, "rf-points-0001")
    parcel_refund(order, EGGS)
    finish_refunds(shop)
    ship(order, MANGO, "SF7000000002")
    assert receive(order["_id"], order["openid"])["data"]["status"] == "COMPLETED"
    earned = shop.points_ledger.find_one({"_id": f"order:{order['_id']}:earn"})["delta"]
    assert earned == sub_of(order, MANGO)["amount"] // 100


def test_a_points_shortfall_after_a_full_parcel_refund_keeps_the_sums(shop):
    call("user_login", {})
    order = paid(shop, "rf-points-0002")
    parcel_refund(order, EGGS)
    finish_refunds(shop)
    ship(order, MANGO, "SF7000000003")
    assert receive(order["_id"], order["openid"])["data"]["status"] == "COMPLETED"
    shop.users.update_one({"_id": BUYER}, {"$set": {"points": 0}})  # spent them all
    parcel_refund(order, MANGO)  # the last parcel, after it left: review
    approve(order)
    finish_refunds(shop)
    after = stored(shop, order)
    assert after["status"] == "REFUNDED"
    shortfall = after.get("points_shortfall", 0)
    assert shortfall > 0
    by_sub = refunded_at_wechat(shop)
    assert by_sub[sub_of(order, EGGS)["out_trade_no"]] == sub_of(order, EGGS)["amount"]
    assert sum(by_sub.values()) == order["paid_amount"] - shortfall


# --- profit sharing and subsidies ------------------------------------------------------


def test_profit_sharing_of_the_refunded_merchant_and_of_the_others(shop):
    order = discounted_three(shop, "rf-share-0001")
    parcel_refund(order, EGGS)
    finish_refunds(shop)
    ship(order, MANGO, "SF7000000004")
    ship(order, WALNUT, "SF7000000005")
    assert receive(order["_id"], order["openid"])["data"]["status"] == "COMPLETED"
    done = stored(shop, order)
    later(8)
    settle(day_of(done["completed_at"]).isoformat())
    run()
    eggs = shop.profit_shares.find_one({"_id": sub_of(order, EGGS)["out_trade_no"]})
    assert eggs["state"] == "FINISHED" and eggs["commission"] == 0
    assert eggs["refunded"] == eggs["paid"]
    subsidised = {s["transaction_id"] for s in sent(shop, "/v3/ecommerce/subsidies/create")}
    assert done["sub_transactions"][sub_of(order, EGGS)["out_trade_no"]] not in subsidised
    for merchant_id in (MANGO, WALNUT):
        share = shop.profit_shares.find_one({"_id": sub_of(order, merchant_id)["out_trade_no"]})
        assert (
            share["state"] == "FINISHED"
            and share["subsidy"] == sub_of(order, merchant_id)["subsidy"]
        )
        assert share["refunded"] == 0


# --- the notice ---------------------------------------------------------------------------


def test_the_parcel_notice_names_the_money_wechat_gave_back(shop, monkeypatch):
    from retail.orders import parcel_refunds

    told: list[int] = []
    monkeypatch.setattr(
        parcel_refunds,
        "notify_refund",
        lambda db, order, event, amount, result: told.append(amount),
    )
    order = paid(shop, "rf-notice-0001")
    parcel_refund(order, EGGS)
    finish_refunds(shop)
    assert told == [refunded_at_wechat(shop)[sub_of(order, EGGS)["out_trade_no"]]]


# --- direct mode and orders paid before marketplace mode ------------------------------------


def test_direct_mode_still_gives_back_the_goods_share(seeded, monkeypatch, fresh_sandbox):
    from .harness import paid_through_wechat_pay

    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "direct")
    reset_settings()
    order = paid_through_wechat_pay(seeded, "rf-direct-0001")
    answer = call(
        "refund_request", {"order_id": order["order_id"], "reason": "no", "merchant_id": EGGS}
    )
    stored_order = seeded.orders.find_one({"_id": order["order_id"]})
    assert "sub_orders" not in stored_order
    amount = answer["data"]["parcel_refunds"][EGGS]["amount"]
    assert amount == parcel_share(stored_order, EGGS)


def test_an_order_paid_before_marketplace_mode_gives_back_the_goods_share(
    seeded, monkeypatch, fresh_sandbox
):
    from .harness import paid_through_wechat_pay
    from .test_marketplace_payments import onboard

    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "direct")
    reset_settings()
    order = paid_through_wechat_pay(seeded, "rf-before-0001")
    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "marketplace")
    reset_settings()
    onboard(seeded)
    answer = call(
        "refund_request", {"order_id": order["order_id"], "reason": "no", "merchant_id": EGGS}
    )
    assert answer["code"] == "OK", answer
    stored_order = seeded.orders.find_one({"_id": order["order_id"]})
    assert answer["data"]["parcel_refunds"][EGGS]["amount"] == parcel_share(stored_order, EGGS)
    assert sent(seeded, "/v3/ecommerce/refunds/apply") == []


# --- a refund racing the shipment of the same parcel ----------------------------------------


def _ship_inside_start(monkeypatch, order, merchant_id):
    """The parcel leaves after _start decided the amount, before its update."""
    from retail.orders import parcel_refunds

    real = parcel_refunds.refund_share
    done: list[bool] = []

    def racing(read, merchant):
        amount = real(read, merchant)
        if not done:
            done.append(True)
            ship(order, merchant_id, "SF7100000001")
        return amount

    monkeypatch.setattr(parcel_refunds, "refund_share", racing)


def test_a_buyers_parcel_refund_racing_its_shipment_never_takes_the_freight(shop, monkeypatch):
    order = paid(shop, "rf-race-0001")
    ship(order, MANGO, "SF7100000002")
    _ship_inside_start(monkeypatch, order, EGGS)
    parcel_refund(order, EGGS)
    after = stored(shop, order)
    assert EGGS in after["parcels"]
    refund = after.get("parcel_refunds", {}).get(EGGS)
    assert refund is None or refund["amount"] <= goods_of(order, EGGS)


def test_an_approval_racing_the_shipment_never_takes_the_freight(shop, monkeypatch):
    order = paid(shop, "rf-race-0002")
    ship(order, MANGO, "SF7100000003")
    shop.orders.update_one(
        {"_id": order["_id"]},
        {"$set": {"refund_request": {"status": "REQUESTED", "reason": "x", "merchant_id": EGGS}}},
    )
    _ship_inside_start(monkeypatch, order, EGGS)
    approve(order)
    after = stored(shop, order)
    assert EGGS in after["parcels"]
    refund = after["parcel_refunds"][EGGS]
    assert refund["amount"] <= goods_of(order, EGGS) and not refund["restock"]
    (asked,) = sent(shop, "/v3/ecommerce/refunds/apply")
    assert asked["amount"]["refund"] == refund["amount"]


# --- instant and pickup orders ---------------------------------------------------------------


@pytest.mark.parametrize("delivery", ["instant", "pickup"])
def test_a_store_order_is_refunded_whole_never_by_parcel(shop, delivery):
    from .harness import sample

    extra: dict[str, Any] = (
        {
            "address": {
                **sample("order_place")["address"],
                "latitude": 25.0402,
                "longitude": 102.7115,
            }
        }
        if delivery == "instant"
        else {"store_id": "s-nanping", "address": None}
    )
    order = paid(shop, f"rf-{delivery}-0001", delivery=delivery, **extra)
    assert len(order["sub_orders"]) == 2
    asked = {"order_id": order["_id"], "reason": "no", "merchant_id": EGGS}
    assert call("refund_request", asked)["code"] == "CONFLICT"
    assert call("refund_request", {"order_id": order["_id"], "reason": "all"})["code"] == "OK"
    finish_refunds(shop)
    by_sub = refunded_at_wechat(shop)
    assert by_sub == {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]}


def test_two_parcel_requests_at_once_leave_the_rest_to_the_whole_refund(shop, monkeypatch):
    from retail.orders import refund_requests
    from retail.orders.parcel_refunds import is_last_parcel

    order = paid(shop, "rf-twice-0001")
    parcel_refund(order, MANGO)
    seen: list[str] = []

    def stale_first(read, merchant_id):
        seen.append(merchant_id)
        return False if len(seen) == 1 else is_last_parcel(read, merchant_id)

    monkeypatch.setattr(refund_requests, "is_last_parcel", stale_first)
    rest = parcel_refund(order, EGGS)["data"]
    assert rest["status"] == "REFUNDING" and list(rest["parcel_refunds"]) == [MANGO]
    finish_refunds(shop)
    by_sub = refunded_at_wechat(shop)
    assert by_sub == {s["out_trade_no"]: s["amount"] for s in order["sub_orders"]}


def test_free_goods_waiting_parcel_refund_then_the_others_are_shared(shop):
    """A coupon and points covered the goods (the buyer paid less than the freight)."""
    from .harness import place

    template = shop.coupon_templates.find_one({"_id": "c-new-user"})
    shop.coupon_templates.insert_one(
        {**template, "_id": "c-rf-free", "discount": 5000, "threshold": 0, "claimed": 0}
    )
    call("user_login", {})
    award_points(shop, BUYER, 1000, "test:grant", "granted by the test")
    coupon = call("coupon_claim", {"template_id": "c-rf-free"})["data"]["coupon_id"]
    items = [{"sku_id": "p-cabbage-1", "qty": 1}, {"sku_id": "p-soysauce-1", "qty": 1}]
    placed = place("rf-free-0001", items=items, coupon_id=coupon, points=400)
    assert placed["code"] == "OK", placed
    oid = placed["data"]["order_id"]
    assert call("payment_prepay", {"order_id": oid})["code"] == "OK"
    assert sandbox.pay(oid, send=deliver_to("payment_notify")) == [200]
    order = shop.orders.find_one({"_id": oid})
    assert order["total"] < order["freight"]
    first, second = order["merchant_ids"]
    parcel_refund(order, first)
    finish_refunds(shop)
    ship(order, second, "SF7200000001")
    assert receive(oid, order["openid"])["data"]["status"] == "COMPLETED"
    done = stored(shop, order)
    later(8)
    settle(day_of(done["completed_at"]).isoformat())
    for step in range(4):
        later(8 + step / 4)
        run()
    for sub in order["sub_orders"]:
        share = shop.profit_shares.find_one({"_id": sub["out_trade_no"]})
        assert share is not None and share["state"] == "FINISHED", (share, sub)
    assert shop.risk_events.count_documents({"kind": "profit_share_left_to_wechat"}) == 0
    by_sub = refunded_at_wechat(shop)
    assert by_sub == {sub_of(order, first)["out_trade_no"]: sub_of(order, first)["amount"]}
