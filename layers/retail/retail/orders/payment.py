"""An order is paid: PENDING_PAYMENT -> PAID exactly once, stock moves from reserved to sold,
and an instant order is handed to the same-city rider."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from retail.adapters.delivery import delivery_provider
from retail.common.clock import utcnow
from retail.common.logs import log
from retail.store import Db

from .document import Order, SubOrder, orders_of
from .lifecycle import transition
from .records import COMPLETED, PAID, PENDING_PAYMENT, settling
from .shipping_upload import shipping_due


def mark_paid(
    db: Db,
    order_id: str,
    transaction_id: str,
    amount: int,
    paid_at: datetime | None = None,
    sub_transactions: dict[str, str] | None = None,
) -> Order | None:
    """The paid order, or None when the order was not waiting for payment (already paid by
    this transaction, cancelled, ...): the caller decides what that means. A combined
    payment names each sub-order's transaction (`sub_transactions`)."""
    extra: dict[str, Any] = {
        "transaction_id": transaction_id,
        "paid_amount": amount,
        "paid_at": paid_at or utcnow(),
        "payment_checked": True,  # its payment is known: out of reconciliation's to-do set
    }
    if sub_transactions is not None:  # marketplace: its sub-orders' splits are owed
        extra["sub_transactions"] = sub_transactions
        extra["sharing_due"] = extra["paid_at"]
    paid = transition(
        db, order_id, PENDING_PAYMENT, PAID, "paid", extra=extra, condition={"total": amount}
    )
    if paid is None:
        return None
    if paid["delivery"] == "instant":
        paid = dispatch_rider(db, paid)
    if paid["delivery"] == "virtual":  # a membership is delivered the moment it is paid
        paid = complete_virtual(db, order_id) or paid
    return paid


def complete_virtual(db: Db, order_id: str) -> Order | None:
    """A paid membership is delivered: completed, and WeChat told it shipped as virtual goods
    (by shipping_sync, as WeChat indexes a payment about a minute after it is made)."""
    now = utcnow()
    return transition(
        db,
        order_id,
        PAID,
        COMPLETED,
        "membership active",
        extra={**settling("completed_at", now), **shipping_due(now)},
        condition={"delivery": "virtual"},
    )


def dispatch_rider(db: Db, order: Order) -> Order:
    """Book a rider once: the provider dedupes by our order id, and we record its id once."""
    booking = delivery_provider().dispatch(order)
    now = utcnow()
    dispatched = orders_of(db).find_one_and_update(
        {"_id": order["_id"], "delivery_id": None},
        {
            # WeChat hears of same-city delivery once the rider is booked (shipping_upload)
            "$set": {"delivery_id": booking.delivery_id, "updated_at": now, **shipping_due(now)},
            "$push": {
                "tracking": {
                    "at": now,
                    "status": "DISPATCHED",
                    "description": f"rider booked ({booking.delivery_id})",
                }
            },
        },
        return_document=ReturnDocument.AFTER,
    )
    log("rider_dispatched", order_id=order["_id"], delivery_id=booking.delivery_id)
    return dispatched or orders_of(db).find_one({"_id": order["_id"]}) or order


def mark_payment_checked(db: Db, order_id: str) -> None:
    """Reconciliation learned the order's payment is settled either way: WeChat Pay will never
    take money for it, or took it and the order has followed."""
    orders_of(db).update_one({"_id": order_id}, {"$set": {"payment_checked": True}})


def record_prepay(
    db: Db,
    order_id: str,
    prepay_id: str,
    expires_at: Any,
    now: Any,
    sub_orders: list[SubOrder] | None = None,
) -> None:
    """The prepay WeChat Pay gave, and for a combined payment its sub-orders (the same at
    every prepay of the order: payments.combined plans them once)."""
    change: dict[str, Any] = {
        "prepay_id": prepay_id,
        "prepay_expires_at": expires_at,
        "payment_checked": False,  # in reconciliation's to-do set until it is known
        "updated_at": now,
    }
    if sub_orders is not None:
        change["sub_orders"] = sub_orders
    orders_of(db).update_one({"_id": order_id, "status": PENDING_PAYMENT}, {"$set": change})
