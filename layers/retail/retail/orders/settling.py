"""Settlement's to-do set on the order. Each event that owes a merchant a statement line (the
order completed, refunded, a parcel refunded) sets `settlement_due` (records.settling);
settlement takes the order out here once every line it owes is in a written statement, so a
day's settlement reads what is left to settle, not a month of orders again."""

from __future__ import annotations

from datetime import datetime

from pymongo import UpdateOne

from retail.store import Db

from .document import Order, orders_of

DUE = {"settlement_due": {"$exists": True}}


def due_for_settlement(db: Db, after: str = "", limit: int = 500) -> list[Order]:
    """The next page, by id, of the orders with a line no written statement holds yet (a
    partial index serves it)."""
    return list(orders_of(db).find({**DUE, "_id": {"$gt": after}}, sort=[("_id", 1)], limit=limit))


def oldest_due(db: Db) -> datetime | None:
    """When the longest-waiting event still owed a statement happened (an index on
    `settlement_due` serves it), or None when nothing is owed."""
    first = orders_of(db).find_one(DUE, {"settlement_due": 1}, sort=[("settlement_due", 1)])
    return None if first is None else first["settlement_due"]


def put_in_settlement(db: Db, due: list[tuple[str, datetime]]) -> int:
    """Orders that owe a line but are not in the to-do set (written by code that did not
    keep it: a rollback, a deploy half done, a store from before it) go in, each as of its
    event. Returns the orders put in."""
    if not due:
        return 0
    marks = [
        UpdateOne(
            {"_id": oid, "settlement_due": {"$exists": False}}, {"$set": {"settlement_due": at}}
        )
        for oid, at in due
    ]
    return int(orders_of(db).bulk_write(marks, ordered=False).modified_count)


def settled(db: Db, read: list[tuple[str, datetime]]) -> int:
    """Out of the to-do set, each order unless an event put it back after settlement read
    it (its `settlement_due` is no longer the one read). Returns the orders taken out."""
    if not read:
        return 0
    takes = [
        UpdateOne({"_id": oid, "settlement_due": due}, {"$unset": {"settlement_due": ""}})
        for oid, due in read
    ]
    return int(orders_of(db).bulk_write(takes, ordered=False).modified_count)
