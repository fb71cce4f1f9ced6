"""Marketplace orders owe profit sharing (payments.profit_sharing): `sharing_due`, set when a
combined payment is applied, is when the timer should look at the order next; it is cleared
once every sub-order's split has ended. A partial index holds the to-do set, so a run costs
the orders still owed, never the history."""

from __future__ import annotations

from datetime import datetime

from retail.store import Db

from .document import Order, orders_of

DUE = {"sharing_due": {"$exists": True}}


def due_for_sharing(db: Db, now: datetime, limit: int) -> list[Order]:
    """The orders whose next look is due, the longest waiting first."""
    return list(
        orders_of(db).find({"sharing_due": {"$lte": now}}, sort=[("sharing_due", 1)], limit=limit)
    )


def look_again(db: Db, order: Order, at: datetime) -> None:
    """The order's next look, unless something moved it since it was read."""
    orders_of(db).update_one(
        {"_id": order["_id"], "sharing_due": order["sharing_due"]}, {"$set": {"sharing_due": at}}
    )


def shared(db: Db, order: Order, at: datetime) -> None:
    """Out of the to-do set: every sub-order's money has been split and released."""
    orders_of(db).update_one(
        {"_id": order["_id"], "sharing_due": order["sharing_due"]},
        {"$unset": {"sharing_due": ""}, "$set": {"shared_at": at}},
    )


def share_again(db: Db, order_id: str, at: datetime) -> None:
    """A refund of a marketplace order that was paid: the timer looks at it again (a refund
    after the split returns the commission and the subsidy)."""
    orders_of(db).update_one(
        {"_id": order_id, "sub_transactions": {"$exists": True}}, {"$set": {"sharing_due": at}}
    )
