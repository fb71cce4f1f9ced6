"""Goods the buyer paid nothing for (a coupon and points covered them, only freight was
paid) given back: WeChat Pay has no refund to cancel or return the subsidy with (found by a
second hostile review of issue 30, once failing tests)."""

from __future__ import annotations

from typing import Any

from retail.common.clock import day_of
from retail.members import award_points
from retail_dev import wechatpay_sandbox as sandbox

from .harness import BUYER, as_operator, call, place, receive
from .test_marketplace_payments import deliver_to
from .test_marketplace_payments import shop as shop
from .test_profit_sharing import back_to_now as back_to_now
from .test_profit_sharing import later, run, settle

HUAXIA = "m-huaxia"


def _free_goods_order(db: Any, key: str, *, complete: bool) -> dict[str, Any]:
    template = db.coupon_templates.find_one({"_id": "c-new-user"})
    db.coupon_templates.insert_one(
        {**template, "_id": "c-r31-free", "discount": 5000, "threshold": 0, "claimed": 0}
    )
    call("user_login", {})
    award_points(db, BUYER, 1000, "test:grant", "granted by the test")
    coupon = call("coupon_claim", {"template_id": "c-r31-free"})
    assert coupon["code"] == "OK", coupon
    items = [{"sku_id": "p-cabbage-1", "qty": 1}, {"sku_id": "p-soysauce-1", "qty": 1}]
    placed = place(key, items=items, coupon_id=coupon["data"]["coupon_id"], points=400)
    assert placed["code"] == "OK", placed
    order_id = placed["data"]["order_id"]
    assert call("payment_prepay", {"order_id": order_id})["code"] == "OK"
    assert sandbox.pay(order_id, send=deliver_to("payment_notify")) == [200]
    order = db.orders.find_one({"_id": order_id})
    assert order["total"] < order["freight"], (order["total"], order["freight"])
    ship = {"order_id": order_id, "carrier": "SF", "tracking_no": f"SF{key[-4:]}0000"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    if complete:
        assert receive(order_id)["data"]["status"] == "COMPLETED"
    return db.orders.find_one({"_id": order_id})


def _give_back_parcel(db: Any, order: dict[str, Any]) -> None:
    asked = call(
        "refund_request", {"order_id": order["_id"], "reason": "烂了", "merchant_id": HUAXIA}
    )
    assert asked["code"] == "OK", asked
    review = as_operator("refund_review", {"order_id": order["_id"], "approve": True})
    assert review["code"] == "OK", review
    parcel = db.orders.find_one({"_id": order["_id"]})["parcel_refunds"][HUAXIA]
    assert parcel["status"] == "REFUNDED" and parcel["amount"] == 0, parcel


def test_a_parcel_given_back_after_the_split_leaves_the_subsidy_to_an_operator(shop):
    order = _free_goods_order(shop, "r31-free-0001", complete=True)
    (huaxia,) = [s for s in order["sub_orders"] if s["merchant_id"] == HUAXIA]
    assert huaxia["subsidy"] > 0
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    run()
    share = shop.profit_shares.find_one({"_id": huaxia["out_trade_no"]})
    assert share["state"] == "FINISHED" and share["subsidy_id"], share
    _give_back_parcel(shop, order)
    for step in range(6):
        later(8.2 + step / 4)
        run()
    share = shop.profit_shares.find_one({"_id": huaxia["out_trade_no"]})
    assert share["state"] == "GIVEN_BACK", share
    # WeChat Pay returns a subsidy only with a WeChat refund (refund_id 「其他情况必传」), and
    # nothing was refunded at WeChat Pay: an operator sees the subsidy the merchant kept
    kept = shop.risk_events.find_one({"kind": "profit_share_subsidy_kept"})
    assert kept is not None and kept["evidence"]["subsidy"] == huaxia["subsidy"]


def test_a_parcel_given_back_before_the_split_does_not_stop_the_release(shop):
    order = _free_goods_order(shop, "r31-free-0002", complete=False)
    (huaxia,) = [s for s in order["sub_orders"] if s["merchant_id"] == HUAXIA]
    _give_back_parcel(shop, order)
    assert receive(order["_id"])["data"]["status"] == "COMPLETED"
    order = shop.orders.find_one({"_id": order["_id"]})
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    for step in range(6):
        later(8 + step / 4)
        run()
    share = shop.profit_shares.find_one({"_id": huaxia["out_trade_no"]})
    assert share["state"] == "FINISHED", (share["state"], share.get("refusal"))
    assert "sharing_due" not in shop.orders.find_one({"_id": order["_id"]})
