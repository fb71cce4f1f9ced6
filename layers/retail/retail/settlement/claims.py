"""Which statement carries each merchant's share of an order: one claim per (kind, order,
merchant) in `settlement_claims`, inserted once under its natural id, so a line can be in one
statement only however runs interleave.

A claim names its statement and the run that inserted it. The run that writes the statement
names itself in it, so a claim is final (its line is in a written statement) when its
statement is written by its run: nothing is marked per line once a statement is in. Only
when two runs of one statement met (one ran alongside, or took over from one that died)
does `finalize` have work: it gives the writing run the claims it counted that another run
inserted, and releases the rest for the next statement."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pymongo.errors import BulkWriteError

from retail.common.clock import utcnow
from retail.store import DUPLICATE_KEY, Db

from .lines import lines_not_counted, listed_claims

# How far back a statement looks for late lines; completions are written within seconds of
# their timestamp, so a line later than this would need a clock a month wrong.
LOOKBACK = timedelta(days=31)
BATCH = 1000  # claim ids per query


def statement_id(merchant_id: str, day: date) -> str:
    return f"{merchant_id}:{day.isoformat()}"


def claim_id(kind: str, order_id: str, merchant_id: str) -> str:
    return f"{kind}:{order_id}:{merchant_id}"


def claim_lines(db: Db, statement: str, run: str, keys: list[str]) -> set[str]:
    """The keys now claimed by `statement` in `run`, or held by it already (a run of it
    that died or runs alongside): one bulk insert; a key another statement holds is left
    out."""
    if not keys:
        return set()
    now = utcnow()
    try:
        db.settlement_claims.insert_many(
            [{"_id": key, "statement_id": statement, "run": run, "at": now} for key in keys],
            ordered=False,
        )
    except BulkWriteError as exc:
        errors = exc.details["writeErrors"]
        if any(error["code"] != DUPLICATE_KEY for error in errors):
            raise
        taken = [keys[error["index"]] for error in errors]
        held = claims_by_id(db, taken)
        return set(keys) - {k for k in taken if held.get(k, {}).get("statement_id") != statement}
    return set(keys)


def closed_statements(db: Db, since: datetime) -> set[str]:
    first = since.date().isoformat()
    return {s["_id"] for s in db.statements.find({"day": {"$gte": first}}, {"_id": 1})}


def _of_other_runs(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """Filters of the statement's claims not inserted by the run that wrote it, as two
    ranges and a null an index walks (a `$ne` would read every claim); the null finds claims
    written before claims named their run."""
    run = statement.get("run", "")
    return [
        {"statement_id": statement["_id"], "run": runs}
        for runs in ({"$lt": run}, {"$gt": run}, None)
    ]


def finalize(db: Db, statement: str) -> int:
    """Once `statement` is written: claims of other runs that it counted become its run's,
    the others go back for the next statement, and lines of runs that did not write it are
    dropped. Nothing while it is not written; safe to repeat. Returns the claims released."""
    written = db.statements.find_one({"_id": statement}, {"rows": 0})
    if written is None:
        return 0
    if "claims" in written:  # written before claims named their run: they carry `final`
        return _finalize_listed(db, written)
    others = {c["_id"] for q in _of_other_runs(written) for c in db.settlement_claims.find(q)}
    if others:
        for keys in listed_claims(db, written, BATCH):
            counted = sorted(others.intersection(keys))
            if counted:
                db.settlement_claims.update_many(
                    {"_id": {"$in": counted}, "statement_id": statement},
                    {"$set": {"run": written["run"]}, "$unset": {"final": ""}},
                )
                others.difference_update(counted)
    for key in sorted(others):
        db.settlement_claims.delete_one({"_id": key, "statement_id": statement})
    for query in lines_not_counted(written):
        db.statement_lines.delete_many(query)
    return len(others)


def _finalize_listed(db: Db, written: dict[str, Any]) -> int:
    """A statement written before claims named their run lists its claims: those are
    final, and any other claim held for it (of either format) goes back."""
    listed = set(written["claims"])
    for keys in listed_claims(db, written, BATCH):
        db.settlement_claims.update_many(
            {"_id": {"$in": keys}, "statement_id": written["_id"]},
            {"$set": {"final": True}, "$unset": {"run": ""}},
        )
    released = 0
    for claim in db.settlement_claims.find({"statement_id": written["_id"]}, {"_id": 1}):
        if claim["_id"] not in listed:
            db.settlement_claims.delete_one({"_id": claim["_id"], "statement_id": written["_id"]})
            released += 1
    return released


def claims_by_id(db: Db, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The claims among `keys` that exist, by id (each with its statement and run)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), BATCH):
        part = keys[start : start + BATCH]
        found.update({c["_id"]: c for c in db.settlement_claims.find({"_id": {"$in": part}})})
    return found


def final_claims(db: Db, keys: list[str]) -> set[str]:
    """The keys whose line is in a written statement (its claim held by the run that wrote
    it); a statement written but not finalized (a run died between) is finalized first."""
    claims = claims_by_id(db, keys)
    writers = _writers(db, {c["statement_id"] for c in claims.values()})
    unfinished = {
        c["statement_id"]
        for c in claims.values()
        if c["statement_id"] in writers and not _final(c, writers)
    }
    for statement in sorted(unfinished):
        finalize(db, statement)
    if unfinished:
        claims = claims_by_id(db, keys)
    return {key for key, claim in claims.items() if _final(claim, writers)}


def _final(claim: dict[str, Any], writers: dict[str, str | None]) -> bool:
    if "final" in claim:  # written before claims named their run: marked when final
        return bool(claim["final"])
    run, statement = claim.get("run"), claim["statement_id"]
    return run is not None and statement in writers and run == writers[statement]


def _writers(db: Db, statements: set[str]) -> dict[str, str | None]:
    """For each written statement among `statements`, the run that wrote it."""
    found: dict[str, str | None] = {}
    ids = sorted(statements)
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        for s in db.statements.find({"_id": {"$in": part}}, {"run": 1}):
            found[s["_id"]] = s.get("run")
    return found
