"""Side effects of an order's state changes, kept as an outbox on the order and applied
exactly once: the transition adds the effect, `apply_outbox` performs it and then removes it,
order_repair replays what a crash left behind. Every effect is safe to repeat.

- sales: product sales counters (guarded by a marker `ops.<order_id>` on the product)
- paid: the buyer's last payment time; an invitee's first order earns a pending commission
- completed: the commission becomes available; the buyer earns points (1 per yuan paid)
- refunded: commission reversed; points earned on the order taken back, never below zero
  (what the balance lacks comes off the refund)
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from retail.groupbuy import count_payment
from retail.members import award_points, extend_membership, take_back_points
from retail.referral import record_first_order, release_commission, reverse_commission

from .records import points_key
from .transitions import COMPLETED_EFFECTS, PAID_EFFECTS, REFUNDED_EFFECTS, SALES


def apply_outbox(db: Any, order: dict[str, Any]) -> None:
    for effect in list(order.get("outbox") or []):
        _APPLY[effect](db, order)
        db.orders.update_one({"_id": order["_id"]}, {"$pull": {"outbox": effect}})
        if effect == SALES:
            for product_id in _units_by_product(order):
                db.products.update_one({"_id": product_id}, {"$unset": {f"ops.{order['_id']}": ""}})


def _units_by_product(order: dict[str, Any]) -> Counter[str]:
    units: Counter[str] = Counter()
    for line in order["lines"]:
        units[line["product_id"]] += line["qty"]
    return units


def _count_sales(db: Any, order: dict[str, Any]) -> None:
    marker = f"ops.{order['_id']}"
    for product_id, qty in _units_by_product(order).items():
        db.products.update_one(
            {"_id": product_id, marker: {"$ne": SALES}},
            {"$inc": {"sales": qty}, "$set": {marker: SALES}},
        )


def _paid(db: Any, order: dict[str, Any]) -> None:
    db.users.update_one({"_id": order["openid"]}, {"$max": {"last_paid_at": order["paid_at"]}})
    record_first_order(db, order)
    if order.get("group_id"):
        count_payment(db, order["group_id"], order["_id"])
    days = _membership_days(db, order)
    if days:
        extend_membership(db, order["openid"], days, f"membership:{order['_id']}")


def _membership_days(db: Any, order: dict[str, Any]) -> int:
    if order.get("delivery") != "virtual":
        return 0
    products = {
        p["_id"]: p
        for p in db.products.find(
            {"_id": {"$in": [line["product_id"] for line in order["lines"]]}}, {"membership": 1}
        )
    }
    return sum(
        (products.get(line["product_id"], {}).get("membership") or {}).get("days", 0) * line["qty"]
        for line in order["lines"]
    )


def _completed(db: Any, order: dict[str, Any]) -> None:
    release_commission(db, order["_id"])
    points = order.get("paid_amount", order["total"]) // 100
    if points:
        award_points(
            db, order["openid"], points, points_key(order["_id"], "earn"), "order completed"
        )


def _refunded(db: Any, order: dict[str, Any]) -> None:
    reverse_commission(db, order["_id"])
    days = _membership_days(db, order)
    if days:
        extend_membership(db, order["openid"], -days, f"membership:{order['_id']}:revoke")
    earned = db.points_ledger.find_one({"_id": points_key(order["_id"], "earn")})
    if earned:
        shortfall = take_back_points(
            db, order["openid"], earned["delta"], points_key(order["_id"], "reverse"), "refunded"
        )
        if shortfall:  # already spent: their value comes off the refund (refunding.refundable)
            db.orders.update_one({"_id": order["_id"]}, {"$set": {"points_shortfall": shortfall}})


_APPLY = {
    SALES: _count_sales,
    PAID_EFFECTS: _paid,
    COMPLETED_EFFECTS: _completed,
    REFUNDED_EFFECTS: _refunded,
}
