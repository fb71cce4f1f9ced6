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
FINALIZE_BATCH = 1000  # claim ids per query


def statement_id(merchant_id: str, day: date) -> str:
    return f"{merchant_id}:{day.isoformat()}"


def claim_id(kind: str, order_id: str, merchant_id: str) -> str:
    return f"{kind}:{order_id}:{merchant_id}"


def claim_line(db: Any, kind: str, order_id: str, merchant_id: str, statement: str) -> bool:
    """True if the line is (now, or already) claimed by `statement`."""
    key = claim_id(kind, order_id, merchant_id)
    try:
        db.settlement_claims.insert_one(
            {"_id": key, "statement_id": statement, "final": False, "at": utcnow()}
        )
    except DuplicateKeyError:
        held = db.settlement_claims.find_one({"_id": key}, {"statement_id": 1})
        return bool(held) and held["statement_id"] == statement
    return True


def closed_statements(db: Any, since: datetime) -> set[str]:
    first = since.date().isoformat()
    return {s["_id"] for s in db.statements.find({"day": {"$gte": first}}, {"_id": 1})}


def finalize(db: Any, statement: str) -> int:
    """Once `statement` is written: the claims it lists become final (their orders may leave
    settlement's to-do set), and claims held for it that it does not list (a concurrent run
    wrote it first) go back for the next statement. Nothing while it is not written; safe to
    repeat. Returns the claims released."""
    written = db.statements.find_one({"_id": statement}, {"claims": 1})
    if written is None:
        return 0
    listed = list(written.get("claims") or [])
    for start in range(0, len(listed), FINALIZE_BATCH):
        db.settlement_claims.update_many(
            {"_id": {"$in": listed[start : start + FINALIZE_BATCH]}, "statement_id": statement},
            {"$set": {"final": True}},
        )
    released = 0
    listed_set = set(listed)
    for claim in db.settlement_claims.find({"statement_id": statement, "final": False}):
        if claim["_id"] not in listed_set:
            db.settlement_claims.delete_one({"_id": claim["_id"], "statement_id": statement})
            released += 1
    return released


def final_claims(db: Any, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The claims among `keys` that exist, by id (each with its statement and finality)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), FINALIZE_BATCH):
        part = keys[start : start + FINALIZE_BATCH]
        found.update({c["_id"]: c for c in db.settlement_claims.find({"_id": {"$in": part}})})
    return found
