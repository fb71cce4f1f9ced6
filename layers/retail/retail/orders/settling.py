"""Settlement's to-do set on the order. Each event that owes a merchant a statement line (the
order completed, refunded, a parcel refunded) sets `settlement_due` (records.settling);
settlement takes the order out here once every line it owes is in a written statement, so a
day's settlement reads what is left to settle, not a month of orders again."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def due_for_settlement(db: Any) -> list[dict[str, Any]]:
    """The orders with a line no written statement holds yet (a partial index serves it)."""
    return list(db.orders.find({"settlement_due": {"$exists": True}}))


def settled(db: Any, order_id: str, due: datetime) -> bool:
    """Out of the to-do set, unless an event put it back in after settlement read it."""
    taken = db.orders.update_one(
        {"_id": order_id, "settlement_due": due}, {"$unset": {"settlement_due": ""}}
    )
    return bool(taken.modified_count)
