"""Slowing password guessing without letting strangers lock an operator out.

Failures count per (account, client IP): five from one address close that address to that
account for a minute, doubling with each further lockout up to an hour, so a guesser is slowed
while the operator signs in from anywhere else. Failures also count per account across all
addresses: past SPRAY_LIMIT in a window (guessing spread over many addresses), only addresses
the account has signed in from before may try, so the owner still gets in and the spray stops.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from retail.common.errors import RateLimited
from retail.common.logs import log

FAILURES_PER_ADDRESS = 5
FIRST_LOCKOUT = timedelta(minutes=1)
LONGEST_LOCKOUT = timedelta(hours=1)
SPRAY_WINDOW = timedelta(minutes=15)
SPRAY_LIMIT = 20
KNOWN_ADDRESSES = 10  # remembered per account, most recent last


def _address_key(operator_id: str, ip: str | None) -> str:
    return f"{operator_id}|{ip or '-'}"


def _spray_key(operator_id: str, now: datetime) -> str:
    window = int(now.timestamp()) // int(SPRAY_WINDOW.total_seconds())
    return f"{operator_id}|*|{window}"


def refuse_throttled(
    db: Any, operator_id: str, ip: str | None, known: list[str], now: datetime
) -> None:
    """Raises RateLimited while this address is locked for this account, or while the account
    is being sprayed and this address is not one it knows."""
    attempts = db.sign_in_attempts.find_one({"_id": _address_key(operator_id, ip)}) or {}
    locked_until = attempts.get("locked_until")
    if locked_until and locked_until > now:
        wait = int((locked_until - now).total_seconds()) + 1
        raise RateLimited("too many failed sign-ins from here; try later", retry_after_seconds=wait)
    spray = db.sign_in_attempts.find_one({"_id": _spray_key(operator_id, now)}) or {}
    if spray.get("failures", 0) >= SPRAY_LIMIT and ip not in known:
        window_ends = spray["window_ends_at"]
        wait = int((window_ends - now).total_seconds()) + 1
        raise RateLimited(
            "sign-ins to this account are slowed; try later", retry_after_seconds=wait
        )


def record_failure(db: Any, operator_id: str, ip: str | None, now: datetime) -> None:
    """Count a wrong password; the fifth from one address locks that address out."""
    expires = now + LONGEST_LOCKOUT * 2
    spray_id = _spray_key(operator_id, now)
    window_ends = datetime.fromtimestamp(
        (int(spray_id.rsplit("|", 1)[1]) + 1) * SPRAY_WINDOW.total_seconds(), tz=now.tzinfo
    )
    db.sign_in_attempts.update_one(
        {"_id": spray_id},
        {
            "$inc": {"failures": 1},
            "$setOnInsert": {"window_ends_at": window_ends, "expires_at": expires},
        },
        upsert=True,
    )
    attempts = db.sign_in_attempts.find_one_and_update(
        {"_id": _address_key(operator_id, ip)},
        {"$inc": {"failures": 1}, "$set": {"expires_at": expires}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    if attempts["failures"] < FAILURES_PER_ADDRESS:
        return
    lockouts = int(attempts.get("lockouts", 0))
    lockout = min(FIRST_LOCKOUT * 2**lockouts, LONGEST_LOCKOUT)
    locked = db.sign_in_attempts.update_one(
        {"_id": attempts["_id"], "failures": attempts["failures"]},
        {"$set": {"failures": 0, "locked_until": now + lockout}, "$inc": {"lockouts": 1}},
    )
    if locked.modified_count:
        log("operator_address_locked_out", "WARNING", seconds=int(lockout.total_seconds()), ip=ip)


def record_success(db: Any, operator_id: str, ip: str | None) -> None:
    """A good sign-in clears this address's count and makes it a known one."""
    db.sign_in_attempts.delete_one({"_id": _address_key(operator_id, ip)})
    if ip:
        db.operators.update_one({"_id": operator_id}, {"$pull": {"known_ips": ip}})
        db.operators.update_one(
            {"_id": operator_id},
            {"$push": {"known_ips": {"$each": [ip], "$slice": -KNOWN_ADDRESSES}}},
        )
