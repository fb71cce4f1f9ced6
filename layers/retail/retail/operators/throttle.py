"""Slowing password guessing without letting strangers lock an operator out.

Attempts count per (account, client IP), taken before the password is checked: after five
without a success that address is closed to that account for a minute, doubling with each
further lockout up to an hour, so a guesser is slowed (however many guesses it sends at once)
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
from retail.store import Db, upserted

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


def take_attempt(db: Db, operator_id: str, ip: str | None, known: list[str], now: datetime) -> None:
    """Count this attempt before its password is checked, so that guesses sent at once
    cannot all pass; raises RateLimited while this address is locked for this account, once
    it has used its attempts, or while the account is sprayed and the address is not known."""
    key = _address_key(operator_id, ip)
    attempts = db.sign_in_attempts.find_one({"_id": key}) or {}
    _refuse_locked(attempts, now)
    spray = db.sign_in_attempts.find_one({"_id": _spray_key(operator_id, now)}) or {}
    if spray.get("failures", 0) >= SPRAY_LIMIT and ip not in known:
        wait = int((spray["window_ends_at"] - now).total_seconds()) + 1
        raise RateLimited(
            "sign-ins to this account are slowed; try later", retry_after_seconds=wait
        )
    taken = upserted(
        db.sign_in_attempts.find_one_and_update(
            {"_id": key},
            {"$inc": {"tries": 1}, "$set": {"expires_at": now + LONGEST_LOCKOUT * 2}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    )
    # Counted after another attempt locked the address (the lock starts the count again from
    # zero): refused, or a guess read before the lock would pass as the sixth.
    _refuse_locked(taken, now)
    if taken["tries"] > FAILURES_PER_ADDRESS:
        _lock(db, taken, now, ip)
        _refuse_locked(db.sign_in_attempts.find_one({"_id": key}) or {}, now)
        # Over the allowance whoever set the lock: an attempt whose lock lost to a later
        # attempt's may re-read before that lock is written, and must not pass as a sixth.
        lockout = min(FIRST_LOCKOUT * 2 ** int(taken.get("lockouts") or 0), LONGEST_LOCKOUT)
        raise RateLimited(
            "too many failed sign-ins from here; try later",
            retry_after_seconds=int(lockout.total_seconds()),
        )


def _refuse_locked(attempts: dict[str, Any], now: datetime) -> None:
    locked_until = attempts.get("locked_until")
    if locked_until and locked_until > now:
        wait = int((locked_until - now).total_seconds()) + 1
        raise RateLimited("too many failed sign-ins from here; try later", retry_after_seconds=wait)


def _lock(db: Db, attempts: dict[str, Any], now: datetime, ip: str | None) -> None:
    """Lock the address out once, however many attempts arrive together: only the attempt
    that finds the count it read may set the lock and start the count again."""
    lockouts = int(attempts.get("lockouts", 0))
    lockout = min(FIRST_LOCKOUT * 2**lockouts, LONGEST_LOCKOUT)
    locked = db.sign_in_attempts.update_one(
        {"_id": attempts["_id"], "tries": attempts["tries"], "lockouts": attempts.get("lockouts")},
        {"$set": {"tries": 0, "locked_until": now + lockout, "lockouts": lockouts + 1}},
    )
    if locked.modified_count:
        log("operator_address_locked_out", "WARNING", seconds=int(lockout.total_seconds()), ip=ip)


def record_failure(db: Db, operator_id: str, now: datetime) -> None:
    """Count a wrong password against the account, whatever the address (the spray brake)."""
    spray_id = _spray_key(operator_id, now)
    window_ends = datetime.fromtimestamp(
        (int(spray_id.rsplit("|", 1)[1]) + 1) * SPRAY_WINDOW.total_seconds(), tz=now.tzinfo
    )
    db.sign_in_attempts.update_one(
        {"_id": spray_id},
        {
            "$inc": {"failures": 1},
            "$setOnInsert": {"window_ends_at": window_ends, "expires_at": now + SPRAY_WINDOW * 2},
        },
        upsert=True,
    )


def record_success(db: Db, operator_id: str, ip: str | None) -> None:
    """A good sign-in clears this address's count and makes it a known one."""
    db.sign_in_attempts.delete_one({"_id": _address_key(operator_id, ip)})
    if ip:
        db.operators.update_one({"_id": operator_id}, {"$pull": {"known_ips": ip}})
        db.operators.update_one(
            {"_id": operator_id},
            {"$push": {"known_ips": {"$each": [ip], "$slice": -KNOWN_ADDRESSES}}},
        )
