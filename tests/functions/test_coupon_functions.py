"""Coupons through their handlers: claiming, pricing, and a coupon's life with its order."""

from __future__ import annotations

from datetime import timedelta

from retail.common.clock import utcnow
from retail.orders import mark_paid

from .harness import call, sample


def place(key, **changes):
    return call("order_place", {**sample("order_place"), "idempotency_key": key, **changes})


def test_claim_then_use_on_an_order_and_get_it_back_on_cancel(seeded):
    coupon = call("coupon_claim", {"template_id": "c-new-user"})["data"]
    assert coupon["status"] == "AVAILABLE" and coupon["discount"] == 500
    preview = call("order_preview", sample("order_preview"))["data"]
    assert preview["suggested_coupon_id"] == coupon["coupon_id"]
    order = place("coupon-key-0001", coupon_id=coupon["coupon_id"])["data"]
    assert order["discount"] == 500 and order["total"] == preview["total"] - 500
    assert (
        call("coupon_list", {"status": "LOCKED"})["data"]["coupons"][0]["coupon_id"]
        == coupon["coupon_id"]
    )
    assert place("coupon-key-0002", coupon_id=coupon["coupon_id"])["code"] == "NOT_FOUND"
    call("order_cancel", {"order_id": order["order_id"]})
    assert seeded.coupons.find_one({"_id": coupon["coupon_id"]})["status"] == "AVAILABLE"


def test_payment_uses_the_coupon(seeded):
    coupon = call("coupon_claim", {"template_id": "c-new-user"})["data"]
    order = place("coupon-key-0003", coupon_id=coupon["coupon_id"])["data"]
    mark_paid(seeded, order["order_id"], "TX-c", order["total"])
    assert seeded.coupons.find_one({"_id": coupon["coupon_id"]})["status"] == "USED"


def test_threshold_scope_and_expiry_are_checked(seeded):
    coupon = call("coupon_claim", {"template_id": "c-fruit-10"})["data"]  # 99 yuan threshold
    too_small = place("coupon-key-0004", coupon_id=coupon["coupon_id"])
    assert too_small["code"] == "INVALID_ARGUMENT" and "needs" in too_small["message"]
    seeded.coupons.update_one(
        {"_id": coupon["coupon_id"]},
        {"$set": {"scope": {"kind": "categories", "ids": ["dairy"]}, "threshold": 0}},
    )
    assert "covered" in place("coupon-key-0005", coupon_id=coupon["coupon_id"])["message"]
    seeded.coupons.update_one(
        {"_id": coupon["coupon_id"]},
        {"$set": {"scope": {"kind": "all", "ids": []}, "expires_at": utcnow() - timedelta(days=1)}},
    )
    assert "expired" in place("coupon-key-0006", coupon_id=coupon["coupon_id"])["message"]
    assert seeded.orders.count_documents({}) == 0


def test_percent_and_free_shipping_coupons(seeded):
    seeded.coupon_templates.insert_many(
        [
            {
                "_id": "c-pct",
                "title": "9折",
                "kind": "percent",
                "rate_bp": 1000,
                "discount": 300,
                "threshold": 0,
                "total_quota": 10,
                "per_user_limit": 1,
                "valid_days": 7,
                "scope": {"kind": "all", "ids": []},
                "claimed": 0,
                "status": "ACTIVE",
            },
            {
                "_id": "c-ship",
                "title": "免运费",
                "kind": "free_shipping",
                "discount": 800,
                "threshold": 0,
                "total_quota": 10,
                "per_user_limit": 1,
                "valid_days": 7,
                "scope": {"kind": "all", "ids": []},
                "claimed": 0,
                "status": "ACTIVE",
            },
        ]
    )
    pct = call("coupon_claim", {"template_id": "c-pct"})["data"]
    ship = call("coupon_claim", {"template_id": "c-ship"})["data"]
    with_pct = call("order_preview", {**sample("order_preview"), "coupon_id": pct["coupon_id"]})
    assert with_pct["data"]["discount"] == 300  # 10% of 79.70 yuan is 7.97, capped at 3
    with_ship = call("order_preview", {**sample("order_preview"), "coupon_id": ship["coupon_id"]})
    assert with_ship["data"]["discount"] == with_ship["data"]["freight"] == 800


def test_claim_limits(seeded):
    assert call("coupon_claim", {"template_id": "c-new-user"})["code"] == "OK"
    assert call("coupon_claim", {"template_id": "c-new-user"})["code"] == "CONFLICT"
    assert call("coupon_claim", {"template_id": "c-none"})["code"] == "NOT_FOUND"
    assert seeded.coupon_templates.find_one({"_id": "c-new-user"})["claimed"] == 1
