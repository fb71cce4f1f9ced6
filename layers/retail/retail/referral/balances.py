"""A promoter's balance (promoter_accounts): what commissions have made available, what is on
its way to their WeChat balance, what has arrived there, and what they owe back.

The ledger's entries (commissions.py) move the balance, each move exactly once: the change of
an entry that moves money (released: credit; a parcel refunded or the order refunded after
release: debit) records the move on the entry (`moves.<name>`, `balance_due`) in the same
conditional update; `apply_moves` then applies it to the account under a marker naming it and
removes it from the entry, so a crash anywhere is finished by the next call or timer
(`settle_due_moves`) without moving twice. A marker is not lifted when its move is done: a
call that read the entry before it was done may still come, and finds it. Markers older than
MARKERS_KEPT (30 days: far longer than a move stays owed while the timers run) are dropped by
the next update of the account.

A credit first pays off what the promoter owes (`debt`); a debit takes what is available and
records the rest as debt, shown to the promoter: the balance is never silently negative.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Unavailable, error_fields
from retail.common.logs import log
from retail.store import Db

ACCOUNTS = "promoter_accounts"
FIELDS = ("available", "withdrawing", "withdrawn", "debt")
TRIES = 20  # optimistic updates that lost to a concurrent one, before giving up
# Longer than a move can stay owed while its timers run (every 5 or 10 minutes, each item on
# its own): a marker this old names a move long finished.
MARKERS_KEPT = timedelta(days=30)


def account_of(db: Db, openid: str) -> dict[str, Any]:
    """The promoter's account, created empty the first time it is needed."""
    found = db[ACCOUNTS].find_one({"_id": openid})
    if found is not None:
        return found
    blank = {"_id": openid, **dict.fromkeys(FIELDS, 0)}
    with contextlib.suppress(DuplicateKeyError):  # a concurrent first call made it
        db[ACCOUNTS].insert_one(blank)
    return db[ACCOUNTS].find_one({"_id": openid}) or blank


def marker_of(entry_id: str, move: str) -> str:
    return "ops." + f"{entry_id}_{move}".replace(".", "_").replace(":", "_")


def stale_markers(account: dict[str, Any], now: datetime) -> dict[str, str]:
    """An $unset of the account's markers older than MARKERS_KEPT."""
    old = now - MARKERS_KEPT
    return {
        f"ops.{name}": ""
        for name, at in (account.get("ops") or {}).items()
        if not isinstance(at, datetime) or at < old
    }


def mark(
    db: Db, openid: str, marker: str, change: dict[str, Any], condition: dict[str, Any]
) -> bool:
    """One conditional update of the account under a new marker (dropping stale ones); False
    if the condition or the marker's absence did not hold."""
    now = utcnow()
    update: dict[str, Any] = {"$inc": change, "$set": {marker: now}}
    stale = stale_markers(account_of(db, openid), now)
    stale.pop(marker, None)
    if stale:
        update["$unset"] = stale
    moved = db[ACCOUNTS].update_one(
        {"_id": openid, **condition, marker: {"$exists": False}}, update
    )
    return bool(moved.modified_count)


def marked(db: Db, openid: str, marker: str) -> bool:
    return marker.removeprefix("ops.") in (account_of(db, openid).get("ops") or {})


def move_balance(db: Db, openid: str, marker: str, delta: int) -> None:
    """Credit (delta > 0: debt first) or debit (delta < 0: available first, the rest owed)
    the account once under `marker`."""
    for _ in range(TRIES):
        account = account_of(db, openid)
        if marker.removeprefix("ops.") in (account.get("ops") or {}):
            return
        available, debt = int(account["available"]), int(account["debt"])
        if delta >= 0:
            paid = min(debt, delta)
            change = {"debt": -paid, "available": delta - paid}
        else:
            taken = min(available, -delta)
            change = {"available": -taken, "debt": -delta - taken}
        if mark(db, openid, marker, change, {"available": available, "debt": debt}):
            return
    raise Unavailable("the promoter's balance is busy; try again")


def apply_moves(db: Db, entry_id: str) -> None:
    """Apply the balance moves an entry still owes, each once."""
    entry = db.commissions.find_one({"_id": entry_id})
    if entry is None:
        return
    for name, delta in sorted((entry.get("moves") or {}).items()):
        marker = marker_of(entry_id, name)
        move_balance(db, entry["inviter"], marker, int(delta))
        db.commissions.update_one({"_id": entry_id}, {"$unset": {f"moves.{name}": ""}})
    db.commissions.update_one(
        {"_id": entry_id, "moves": {}}, {"$unset": {"balance_due": "", "moves": ""}}
    )


def settle_due_moves(db: Db | None = None, limit: int = 200) -> int:
    """Timer: the moves a call that died left owed (the partial index on balance_due); one
    that fails is logged and left for the next run, the others go on."""
    db = db if db is not None else database()
    due = list(db.commissions.find({"balance_due": True}, {"_id": 1}, limit=limit))
    for entry in due:
        try:
            apply_moves(db, entry["_id"])
        except Exception as exc:  # noqa: BLE001 - one entry must not stop the others
            log("balance_move_failed", "ERROR", entry_id=entry["_id"], **error_fields(exc))
    return len(due)
