"""A buyer looking for levels and membership days they did not pay for: growth from points
that only came back, and a membership refund that leaves days behind."""

from __future__ import annotations

from datetime import timedelta

from retail.common.clock import utcnow
from retail.members import level_for

from .harness import as_operator, call, completed_order, paid_order, sample


def _me(db, openid="o-test-user"):
    return db.users.find_one({"_id": openid})


def test_points_spent_and_given_back_by_cancelling_are_no_growth(seeded):
    call("user_login", {})
    seeded.users.update_one({"_id": "o-test-user"}, {"$set": {"points": 150, "growth": 150}})
    for round_no in range(9):
        placed = call(
            "order_place",
            {**sample("order_place"), "idempotency_key": f"churn-{round_no:04d}", "points": 150},
        )["data"]
        assert placed["points_used"] == 150
        assert call("order_cancel", {"order_id": placed["order_id"]})["code"] == "OK"
    me = _me(seeded)
    assert me["points"] == 150 and me["growth"] == 150 and me["level"] == 1


def test_a_refunded_order_takes_its_growth_and_level_back(seeded):
    call("user_login", {})
    # Enough growth that this order's points lift the buyer to level 2.
    seeded.users.update_one({"_id": "o-test-user"}, {"$set": {"growth": 990}})
    order = completed_order("growth-refund-01")
    earned = order["total"] // 100
    me = _me(seeded)
    assert me["growth"] == 990 + earned and me["level"] == 2 == level_for(990 + earned)
    call("refund_request", {"order_id": order["order_id"], "reason": "坏了"})
    assert (
        as_operator("refund_review", {"order_id": order["order_id"], "approve": True})["code"]
        == "OK"
    )
    me = _me(seeded)
    assert me["growth"] == 990 and me["level"] == 1 and me["points"] == 0


def test_a_membership_refund_takes_back_the_days_its_payment_granted(seeded):
    call("user_login", {}, "o-vip")
    year = {
        "items": [{"sku_id": "p-vip-year-1", "qty": 1}],
        "delivery": "virtual",
        "idempotency_key": "vip-year-0001",
    }
    order = paid_order("vip-year-0001", "o-vip", **year)
    granted = seeded.products.find_one({"_id": "p-vip-year"})["membership"]["days"]
    expires = _me(seeded, "o-vip")["membership_expires_at"]
    assert timedelta(days=granted - 1) < expires - utcnow() <= timedelta(days=granted)
    # The platform re-saves the card with fewer days before the buyer asks for a refund.
    product = seeded.products.find_one({"_id": "p-vip-year"})
    sku = seeded.skus.find_one({"_id": "p-vip-year-1"})
    resaved = {
        "product_id": "p-vip-year",
        "merchant_id": product["merchant_id"],
        "category_id": product["category_id"],
        "title": product["title"],
        "membership": {"days": 1},
        "skus": [{"sku_id": "p-vip-year-1", "price": sku["price"], "stock": 0}],
    }
    assert as_operator("product_save", resaved)["code"] == "OK"
    refund = call("refund_request", {"order_id": order["order_id"], "reason": "不想要了"}, "o-vip")
    if refund["data"]["status"] != "REFUNDING":
        as_operator("refund_review", {"order_id": order["order_id"], "approve": True})
    left = _me(seeded, "o-vip")["membership_expires_at"]
    assert left - utcnow() < timedelta(minutes=1)  # every granted day went back
    revoked = seeded.membership_ledger.find_one({"_id": f"membership:{order['order_id']}:revoke"})
    assert revoked["days"] == -granted
