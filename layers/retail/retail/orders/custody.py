"""Order writes other packages ask for that are not status changes: a risk hold lifted, a
buyer's erasure. They live here so that the orders package is the only writer of orders."""

from __future__ import annotations

from typing import Any


def release_hold(db: Any, order_id: str, event_id: str) -> None:
    """A reviewer released the risk event that held the order: it may be shipped again."""
    db.orders.update_one({"_id": order_id, "risk_hold": event_id}, {"$set": {"risk_hold": None}})


def anonymise_orders(db: Any, openid: str, alias: str) -> int:
    """A buyer's erasure: orders are financial records and stay, under a pseudonym and
    without the personal details (address, remark, pickup code, tracking, risk marks)."""
    kept: int = db.orders.update_many(
        {"openid": openid},
        {
            "$set": {"openid": alias, "address": None, "remark": None, "pickup_code": None},
            "$unset": {"tracking": "", "refund_request": "", "risk_marks": ""},
        },
    ).modified_count
    return kept
