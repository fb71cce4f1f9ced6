"""Which statement carries each merchant's share of an order: one claim per (kind, order,
merchant) in `settlement_claims`, inserted once under its natural id, so a line can be in one
statement only however runs interleave; a claim whose statement was written without it (a
concurrent run won) is released for the next statement to carry."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow

# How far back a statement looks for late lines; completions are written within seconds of
# their timestamp, so a line later than this would need a clock a month wrong.
LOOKBACK = timedelta(days=31)


def statement_id(merchant_id: str, day: date) -> str:
    return f"{merchant_id}:{day.isoformat()}"


def claim_id(kind: str, order_id: str, merchant_id: str) -> str:
    return f"{kind}:{order_id}:{merchant_id}"


def claim_line(db: Any, kind: str, order_id: str, merchant_id: str, statement: str) -> bool:
    """True if the line is (now, or already) claimed by `statement`."""
    key = claim_id(kind, order_id, merchant_id)
    try:
        db.settlement_claims.insert_one({"_id": key, "statement_id": statement, "at": utcnow()})
    except DuplicateKeyError:
        held = db.settlement_claims.find_one({"_id": key}, {"statement_id": 1})
        return bool(held) and held["statement_id"] == statement
    return True


def closed_statements(db: Any, since: datetime) -> set[str]:
    first = since.date().isoformat()
    return {s["_id"] for s in db.statements.find({"day": {"$gte": first}}, {"_id": 1})}


def release_unwritten(db: Any, statement: str) -> int:
    """Claims held for `statement` that its written document does not list go back."""
    written = db.statements.find_one({"_id": statement}, {"claims": 1}) or {}
    listed = set(written.get("claims") or [])
    released = 0
    for claim in db.settlement_claims.find({"statement_id": statement}, {"_id": 1}):
        if claim["_id"] not in listed:
            db.settlement_claims.delete_one({"_id": claim["_id"], "statement_id": statement})
            released += 1
    return released
