"""The customer table: recency, frequency and monetary value of every buyer with a paid
order, each scored 1-5, and a named segment that campaigns and service can target.

Recency and frequency are scored on fixed steps (days since the last order: 7 / 30 / 60 /
120; orders: 2 / 3 / 5 / 10), so a customer's segment does not depend on how many others
there are; money spent is scored by quintile among all customers, as spend scales per shop.

Segments: high_value (recent, frequent, big spenders), loyal (frequent), new (one recent
order), at_risk (used to buy often, not lately), sleeping (neither recent nor frequent),
regular (the rest).

Kept up to date incrementally, so an hourly run costs what changed, not what the shop holds:
only buyers whose orders changed since the last run are recomputed, each from their own
orders; their spend is scored against the spends of the day's rescore (every spend while a
shop has at most SAMPLE of them, evenly spaced quantiles beyond). Once a day every customer
row (not every order) is scored again, since recency moves with the calendar and quintiles
with everyone's spend. Only changed rows are written; the segment counts move with them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from retail.common.clock import day_of, utcnow
from retail.common.vocabulary import SPENDING
from retail.store import Db

SEGMENTS = ("high_value", "loyal", "new", "at_risk", "sleeping", "regular")
COUNTED = SPENDING  # refunded orders are not spending
FIELDS = {"openid": 1, "paid_at": 1, "paid_amount": 1, "total": 1, "lines": 1}
JOB = "analytics_rollup:customers"
SUMMARY = "segments"
SAMPLE = 1000  # spends kept for scoring between rescores
IN_FLIGHT = timedelta(minutes=5)  # an order marked this long before the mark is written is seen
# What the incremental read follows; a cursor left by code that followed something else
# (updated_at) is not trusted: the next run reads everyone once, so nothing written between
# the last run of that code and the first of this one is missed.
READS = "customer_due"
PART = 500  # buyers read per query


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


def refresh_customers(db: Db, today: date) -> int:
    """Bring the customer table up to date (the first run on a shop, or after the mark it
    follows changed, reads every counted order once); returns the customers it holds."""
    progress = db.job_cursors.find_one({"_id": JOB}) or {}
    started = utcnow()
    if "after" in progress and progress.get("reads") == READS:
        touched, rows = _changed_since(db, progress["after"] - IN_FLIGHT)
        spends = list(progress.get("spends") or [])
    else:
        touched, rows = _everyone(db)
        spends = sorted(row["monetary"] for row in rows.values())
    for openid in sorted(touched):
        row = rows.get(openid)
        if row is not None and len(spends) < SAMPLE and row["monetary"] not in spends:
            insort(spends, row["monetary"])
        _save(db, openid, _scored(row, today, spends) if row is not None else None)
    if progress.get("scored_day") != today.isoformat():
        spends = _rescore(db, today)
    db.job_cursors.update_one(
        {"_id": JOB},
        {
            "$set": {
                "after": started,
                "reads": READS,
                "scored_day": today.isoformat(),
                "spends": spends,
            }
        },
        upsert=True,
    )
    summary = db.analytics_summaries.find_one({"_id": SUMMARY}) or {}
    return sum((summary.get("counts") or {}).values())


Rows = dict[str, dict[str, Any]]


def _changed_since(db: Db, since: datetime) -> tuple[set[str], Rows]:
    """The buyers whose spending may have changed since `since` (an order of theirs paid,
    given back or anonymised: orders.lifecycle marks it `customer_due`), and their rows from
    their own orders."""
    changed = db.orders.find({"customer_due": {"$gt": since}}, {"openid": 1})
    touched = {order["openid"] for order in changed}
    rows: Rows = {}
    for part in _parts(sorted(touched)):
        counted = {"openid": {"$in": part}, "status": {"$in": list(COUNTED)}}
        rows.update(_aggregate(db.orders.find(counted, FIELDS)))
    return touched, rows


def _everyone(db: Db) -> tuple[set[str], Rows]:
    """The first run on a shop: every buyer with a counted order, and every row held."""
    rows = _aggregate(db.orders.find({"status": {"$in": list(COUNTED)}}, FIELDS))
    return set(rows) | {c["_id"] for c in db.customers.find({}, {"_id": 1})}, rows


def _parts(openids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(openids), PART):
        yield openids[start : start + PART]


def _aggregate(orders: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each buyer's first and last order day, orders, spend and merchants."""
    rows: dict[str, dict[str, Any]] = {}
    for order in orders:
        day = day_of(order["paid_at"])
        row = rows.setdefault(
            order["openid"],
            {"first_day": day, "last_day": day, "orders": 0, "monetary": 0, "merchants": set()},
        )
        row["first_day"], row["last_day"] = min(row["first_day"], day), max(row["last_day"], day)
        row["orders"] += 1
        row["monetary"] += order.get("paid_amount", order["total"])
        row["merchants"] |= {line["merchant_id"] for line in order["lines"]}
    return rows


def _scored(row: dict[str, Any], today: date, spends: list[float]) -> dict[str, Any]:
    """The customer document for an aggregate row, scored as of `today` against `spends`."""
    r = recency_score((today - row["last_day"]).days)
    f = frequency_score(row["orders"])
    m = _score(spends or [row["monetary"]], row["monetary"])
    return {
        "first_order_day": row["first_day"].isoformat(),
        "last_order_day": row["last_day"].isoformat(),
        "orders": row["orders"],
        "monetary": row["monetary"],
        "r": r,
        "f": f,
        "m": m,
        "segment": segment_of(r, f, m, row["orders"]),
        "merchants": sorted(row["merchants"]),
    }


def _save(db: Db, openid: str, doc: dict[str, Any] | None) -> None:
    """Write the row if it changed (removing it when the buyer has no counted order left),
    the user's segment, and the segment counts' move."""
    before = db.customers.find_one({"_id": openid}) or {}
    before.pop("_id", None)
    if before == (doc or {}):
        return
    if doc is None:
        db.customers.delete_one({"_id": openid})
        db.users.update_one({"_id": openid}, {"$unset": {"segment": ""}})
    else:
        db.customers.replace_one({"_id": openid}, doc, upsert=True)
        if before.get("segment") != doc["segment"]:  # campaigns select users by it
            db.users.update_one({"_id": openid}, {"$set": {"segment": doc["segment"]}})
    moves: dict[str, int] = defaultdict(int)
    for row, step in ((before, -1), (doc or {}, 1)):
        if row.get("segment"):
            moves[f"counts.{row['segment']}"] += step
            for merchant in row.get("merchants", ()):
                moves[f"by_merchant.{merchant}.{row['segment']}"] += step
    moves = {path: n for path, n in moves.items() if n}
    if moves:
        db.analytics_summaries.update_one({"_id": SUMMARY}, {"$inc": moves}, upsert=True)


def _rescore(db: Db, today: date) -> list[float]:
    """Every customer row scored again as of `today`, and the segment counts recounted;
    returns the spends kept for scoring until the next rescore."""
    spends = sorted(c["monetary"] for c in db.customers.find({}, {"monetary": 1}))
    counts: dict[str, int] = defaultdict(int)
    by_merchant: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for customer in db.customers.find({}):
        openid = customer.pop("_id")
        row = {
            "first_day": date.fromisoformat(customer["first_order_day"]),
            "last_day": date.fromisoformat(customer["last_order_day"]),
            "orders": customer["orders"],
            "monetary": customer["monetary"],
            "merchants": set(customer.get("merchants", ())),
        }
        doc = _scored(row, today, spends)
        if doc != customer:
            db.customers.replace_one({"_id": openid}, doc)
            if doc["segment"] != customer.get("segment"):
                db.users.update_one({"_id": openid}, {"$set": {"segment": doc["segment"]}})
        counts[doc["segment"]] += 1
        for merchant in doc["merchants"]:
            by_merchant[merchant][doc["segment"]] += 1
    db.analytics_summaries.replace_one(
        {"_id": SUMMARY},
        {
            "counts": {s: counts.get(s, 0) for s in SEGMENTS},
            "by_merchant": {m: {s: c.get(s, 0) for s in SEGMENTS} for m, c in by_merchant.items()},
            "as_of": today.isoformat(),
        },
        upsert=True,
    )
    return _sample(spends)


def _sample(spends: list[float]) -> list[float]:
    """Every spend, or SAMPLE of them at evenly spaced ranks: what scores a spend later."""
    if len(spends) <= SAMPLE:
        return spends
    return [spends[i * len(spends) // SAMPLE] for i in range(SAMPLE)]
