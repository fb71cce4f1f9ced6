"""Using a coupon on an order: what it takes off, the best one to suggest, and its life as
the order moves (AVAILABLE -> LOCKED at placement -> USED on payment, back to AVAILABLE when
the order is cancelled, fails or is refunded before shipping). Each change is a conditional
update naming the coupon's expected status and order, so repeating one changes nothing."""

from __future__ import annotations

from typing import Any

from retail.common.clock import utcnow
from retail.common.vocabulary import CouponStatus
from retail.store import Db


def coupon_discount(
    coupon: dict[str, Any], lines: list[dict[str, Any]], freight: int, now: Any = None
) -> tuple[int, str | None]:
    """(fen off, None) or (0, why it cannot be used) for these priced lines."""
    now = now or utcnow()
    if coupon.get("valid_from") and coupon["valid_from"] > now:
        return 0, "not valid yet"
    if coupon.get("expires_at") and coupon["expires_at"] <= now:
        return 0, "expired"
    eligible = sum(line["amount"] for line in lines if _in_scope(coupon["scope"], line))
    if eligible == 0:
        return 0, "no goods in this order are covered by the coupon"
    if eligible < coupon.get("threshold", 0):
        return 0, f"needs {coupon['threshold']} fen of covered goods"
    if coupon["kind"] == "free_shipping":
        return min(freight, coupon["discount"]), None
    if coupon["kind"] == "percent":
        return min(eligible * coupon["rate_bp"] // 10_000, coupon["discount"]), None
    return min(coupon["discount"], eligible), None


def _in_scope(scope: dict[str, Any], line: dict[str, Any]) -> bool:
    field = {"categories": "category_id", "products": "product_id", "merchants": "merchant_id"}.get(
        scope.get("kind", "all")
    )
    return field is None or line.get(field) in set(scope.get("ids") or [])


def best_coupon(
    db: Db, openid: str, lines: list[dict[str, Any]], freight: int
) -> tuple[str | None, int]:
    """The caller's usable coupon that takes most off, and how much."""
    best: tuple[str | None, int] = (None, 0)
    for coupon in db.coupons.find({"openid": openid, "status": CouponStatus.AVAILABLE}):
        amount, _ = coupon_discount(coupon, lines, freight)
        if amount > best[1]:
            best = (coupon["_id"], amount)
    return best


def lock_coupon(db: Db, coupon_id: str, openid: str, order_id: str) -> bool:
    return bool(
        db.coupons.update_one(
            {"_id": coupon_id, "openid": openid, "status": CouponStatus.AVAILABLE},
            {"$set": {"status": CouponStatus.LOCKED, "order_id": order_id}},
        ).modified_count
    )


def release_coupon(db: Db, coupon_id: str, order_id: str) -> None:
    """Give a coupon back from an order that did not go through (locked or used by it)."""
    db.coupons.update_one(
        {
            "_id": coupon_id,
            "order_id": order_id,
            "status": {"$in": [CouponStatus.LOCKED, CouponStatus.USED]},
        },
        {"$set": {"status": CouponStatus.AVAILABLE, "order_id": None}},
    )


def spend_coupon(db: Db, coupon_id: str, order_id: str) -> None:
    db.coupons.update_one(
        {"_id": coupon_id, "order_id": order_id, "status": CouponStatus.LOCKED},
        {"$set": {"status": CouponStatus.USED, "used_at": utcnow()}},
    )
