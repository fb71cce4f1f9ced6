"""The customer table: recency, frequency and monetary value of every buyer with a paid
order, each scored 1-5, and a named segment that campaigns and service can target.

Recency and frequency are scored on fixed steps (days since the last order: 7 / 30 / 60 /
120; orders: 2 / 3 / 5 / 10), so a customer's segment does not depend on how many others
there are; money spent is scored by quintile among all customers, as spend scales per shop.

Segments: high_value (recent, frequent, big spenders), loyal (frequent), new (one recent
order), at_risk (used to buy often, not lately), sleeping (neither recent nor frequent),
regular (the rest). Rewritten from the orders by each rollup; only changed rows are written.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import date
from typing import Any

from retail.common.clock import day_of
from retail.common.vocabulary import OrderStatus

SEGMENTS = ("high_value", "loyal", "new", "at_risk", "sleeping", "regular")
COUNTED = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.COMPLETED,
)  # refunded orders are not spending


def segment_of(r: int, f: int, m: int, orders: int) -> str:
    if r >= 4 and f >= 4 and m >= 4:
        return "high_value"
    if orders == 1 and r >= 4:
        return "new"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r <= 2:
        return "sleeping"
    if f >= 4:
        return "loyal"
    return "regular"


RECENCY_DAYS = (120, 60, 30, 7)  # more recent than each step: one point more
ORDER_STEPS = (2, 3, 5, 10)  # at least each step: one point more


def recency_score(days: int) -> int:
    return 1 + sum(days <= step for step in RECENCY_DAYS)


def frequency_score(orders: int) -> int:
    return 1 + sum(orders >= step for step in ORDER_STEPS)


def _score(sorted_values: list[float], value: float) -> int:
    """1-5 by where the value falls among everyone's (ties share the middle rank)."""
    rank = (bisect_left(sorted_values, value) + bisect_right(sorted_values, value)) / 2
    return min(5, int(rank / len(sorted_values) * 5) + 1)


def refresh_customers(db: Any, today: date) -> int:
    """Recompute every customer's RFM row and the segment summary; returns the customers."""
    rows: dict[str, dict[str, Any]] = {}
    merchants: dict[str, set[str]] = defaultdict(set)
    found = db.orders.find(
        {"status": {"$in": list(COUNTED)}},
        {"openid": 1, "paid_at": 1, "paid_amount": 1, "total": 1, "lines": 1},
    )
    for order in found:
        day = day_of(order["paid_at"])
        row = rows.setdefault(
            order["openid"], {"first_day": day, "last_day": day, "orders": 0, "monetary": 0}
        )
        row["first_day"], row["last_day"] = min(row["first_day"], day), max(row["last_day"], day)
        row["orders"] += 1
        row["monetary"] += order.get("paid_amount", order["total"])
        merchants[order["openid"]] |= {line["merchant_id"] for line in order["lines"]}
    if not rows:
        _write_summary(db, today, {}, {})
        return 0
    monetary = sorted(r["monetary"] for r in rows.values())
    existing = {doc["_id"]: doc for doc in db.customers.find({})}
    counts: dict[str, int] = defaultdict(int)
    by_merchant: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for openid, row in rows.items():
        r = recency_score((today - row["last_day"]).days)
        f = frequency_score(row["orders"])
        m = _score(monetary, row["monetary"])
        doc = {
            "first_order_day": row["first_day"].isoformat(),
            "last_order_day": row["last_day"].isoformat(),
            "orders": row["orders"],
            "monetary": row["monetary"],
            "r": r,
            "f": f,
            "m": m,
            "segment": segment_of(r, f, m, row["orders"]),
            "merchants": sorted(merchants[openid]),
        }
        counts[doc["segment"]] += 1
        for merchant in doc["merchants"]:
            by_merchant[merchant][doc["segment"]] += 1
        before = existing.pop(openid, {})
        if {k: v for k, v in before.items() if k != "_id"} != doc:
            db.customers.replace_one({"_id": openid}, doc, upsert=True)
            if before.get("segment") != doc["segment"]:  # campaigns select users by it
                db.users.update_one({"_id": openid}, {"$set": {"segment": doc["segment"]}})
    if existing:  # customers whose orders are gone (erased, refunded)
        db.customers.delete_many({"_id": {"$in": list(existing)}})
        db.users.update_many({"_id": {"$in": list(existing)}}, {"$unset": {"segment": ""}})
    _write_summary(db, today, counts, by_merchant)
    return len(rows)


def _write_summary(
    db: Any, today: date, counts: dict[str, int], by_merchant: dict[str, Any]
) -> None:
    db.analytics_summaries.replace_one(
        {"_id": "segments"},
        {
            "counts": {s: counts.get(s, 0) for s in SEGMENTS},
            "by_merchant": {m: {s: c.get(s, 0) for s in SEGMENTS} for m, c in by_merchant.items()},
            "as_of": today.isoformat(),
        },
        upsert=True,
    )
