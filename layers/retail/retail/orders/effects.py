"""Side effects of an order's state changes, kept as an outbox on the order and applied
exactly once: the transition adds the effect, `apply_outbox` performs it and then removes it,
order_repair replays what a crash left behind. Every effect is safe to repeat.

- sales: the units sold per product (catalog.sales: counted off the product document)
- paid: the buyer's last payment time; an invitee's first order earns a pending commission;
  a pre-sale order that ships over 15 days after payment is owed to WeChat (shipping_upload)
- completed: the commission becomes available; the buyer earns points (1 per yuan paid, less
  the parcels refunded before completion)
- refunded: commission reversed; points earned on the order taken back, never below zero
  (what the balance lacks comes off the refund), less what its parcels' refunds took back
- parcel:<merchant_id>: one merchant's parcel refunded (orders.parcel_refunds): the
  commission shrinks by its share, and on a completed order the points its share earned are
  taken back, never below zero (what the balance lacks comes off that parcel's refund)
"""

from __future__ import annotations

from collections import Counter

from retail.catalog import count_sale, forget_counted
from retail.common.vocabulary import OrderStatus
from retail.groupbuy import count_payment
from retail.members import award_points, extend_membership, take_back_points
from retail.referral import (
    record_first_order,
    reduce_commission,
    release_commission,
    reverse_commission,
)
from retail.store import Db

from .document import Order, orders_of
from .notices import notify_group, notify_pickup_ready
from .records import points_key, refunded_before_completion
from .shipping_info import presale_delay_to
from .transitions import COMPLETED_EFFECTS, PAID_EFFECTS, REFUNDED_EFFECTS, SALES

PARCEL_PREFIX = "parcel:"
PAID_UP = [OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED]


def apply_outbox(db: Db, order: Order) -> None:
    for effect in list(order.get("outbox") or []):
        if effect.startswith(PARCEL_PREFIX):
            _parcel_refunded(db, order, effect.removeprefix(PARCEL_PREFIX))
        else:
            _APPLY[effect](db, order)
        orders_of(db).update_one({"_id": order["_id"]}, {"$pull": {"outbox": effect}})
        if effect == SALES:
            forget_counted(db, order["_id"], list(_units_by_product(order)))


def _units_by_product(order: Order) -> Counter[str]:
    units: Counter[str] = Counter()
    for line in order["lines"]:
        units[line["product_id"]] += line["qty"]
    return units


def _count_sales(db: Db, order: Order) -> None:
    count_sale(db, order["_id"], _units_by_product(order))


def _paid(db: Db, order: Order) -> None:
    db.users.update_one({"_id": order["openid"]}, {"$max": {"last_paid_at": order["paid_at"]}})
    if presale_delay_to(order) is not None:  # WeChat must hear it ships late (shipping_upload)
        orders_of(db).update_one(
            {"_id": order["_id"], "shipping_due": {"$exists": False}},
            {"$set": {"shipping_due": order["paid_at"]}},
        )
    record_first_order(db, order)
    if order.get("delivery") == "pickup":
        notify_pickup_ready(db, order)
    group_id = order.get("group_id")
    if group_id and count_payment(db, group_id, order["_id"]):
        members = orders_of(db).find({"group_id": group_id, "status": {"$in": PAID_UP}})
        for member in members:
            notify_group(db, member, formed=True)
            notify_pickup_ready(db, member)
    days = _membership_days(db, order)
    if days:
        extend_membership(db, order["openid"], days, f"membership:{order['_id']}")


def _membership_days(db: Db, order: Order) -> int:
    """The days the order's payment grants, and so exactly what its refund takes back: as
    each line recorded them when the order was placed, whatever the product says now (a
    line placed before lines recorded them reads its product)."""
    if order.get("delivery") != "virtual":
        return 0
    unrecorded = [ln["product_id"] for ln in order["lines"] if "membership_days" not in ln]
    products = (
        {
            p["_id"]: (p.get("membership") or {}).get("days", 0)
            for p in db.products.find({"_id": {"$in": unrecorded}}, {"membership": 1})
        }
        if unrecorded
        else {}
    )
    return sum(
        (line.get("membership_days") or products.get(line["product_id"], 0)) * line["qty"]
        for line in order["lines"]
    )


def _completed(db: Db, order: Order) -> None:
    release_commission(db, order["_id"])
    points = (order.get("paid_amount", order["total"]) - refunded_before_completion(order)) // 100
    if points:
        award_points(
            db, order["openid"], points, points_key(order["_id"], "earn"), "order completed"
        )


def _refunded(db: Db, order: Order) -> None:
    reverse_commission(db, order["_id"])
    days = _membership_days(db, order)
    if days:
        extend_membership(db, order["openid"], -days, f"membership:{order['_id']}:revoke")
    earned = db.points_ledger.find_one({"_id": points_key(order["_id"], "earn")})
    if earned:
        rest = earned["delta"] - _taken_by_parcels(db, order)
        shortfall = take_back_points(
            db, order["openid"], rest, points_key(order["_id"], "reverse"), "refunded"
        )
        if shortfall:  # already spent: their value comes off the refund (refunding.refundable)
            orders_of(db).update_one(
                {"_id": order["_id"]}, {"$set": {"points_shortfall": shortfall}}
            )


def _parcel_key(order_id: str, merchant_id: str) -> str:
    return points_key(order_id, f"reverse:{merchant_id}")


def _taken_by_parcels(db: Db, order: Order) -> int:
    """Points the order's parcel refunds asked back (taken, or lacking and paid for)."""
    keys = [_parcel_key(order["_id"], m) for m in order.get("parcel_refunds") or {}]
    entries = db.points_ledger.find({"_id": {"$in": keys}}, {"delta": 1, "shortfall": 1})
    return sum(-e["delta"] + e.get("shortfall", 0) for e in entries)


def _parcel_refunded(db: Db, order: Order, merchant_id: str) -> None:
    parcel = order["parcel_refunds"][merchant_id]
    reduce_commission(db, order["_id"], merchant_id, parcel["amount"])
    earned = db.points_ledger.find_one({"_id": points_key(order["_id"], "earn")})
    if not (earned and parcel.get("after_completion")):
        return  # completion earned nothing on a parcel refunded before it
    key = _parcel_key(order["_id"], merchant_id)
    others = order.copy()
    others["parcel_refunds"] = {
        m: p for m, p in order["parcel_refunds"].items() if m != merchant_id
    }
    asked = min(parcel["amount"] // 100, earned["delta"] - _taken_by_parcels(db, others))
    shortfall = take_back_points(db, order["openid"], asked, key, "parcel refunded")
    if shortfall:  # their value comes off this parcel's refund (parcel_refunds.refund_amount)
        orders_of(db).update_one(
            {"_id": order["_id"]},
            {"$set": {f"parcel_refunds.{merchant_id}.points_shortfall": shortfall}},
        )


_APPLY = {
    SALES: _count_sales,
    PAID_EFFECTS: _paid,
    COMPLETED_EFFECTS: _completed,
    REFUNDED_EFFECTS: _refunded,
}
