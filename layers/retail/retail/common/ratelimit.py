"""Per-minute call budgets per caller and per client IP, counted in the store so every
function instance shares them: every budget a call spends in one round trip."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from retail.store import DUPLICATE_KEY, Db

from .errors import RateLimited
from .settings import positive_int_map

IP_FACTOR = 5  # many buyers can share one address (a shop's Wi-Fi, a carrier NAT)
ANONYMOUS = "anonymous"


@lru_cache(maxsize=1)
def _limits() -> dict[str, int]:
    return positive_int_map("RETAIL_RATE_LIMITS")


def limit_for(function: str) -> int:
    limits = _limits()
    return int(limits.get(function, limits.get("default", 600)))


def check_rate(
    db: Db, function: str, caller: str | None, client_ip: str | None, now: datetime
) -> None:
    """Count this call against the caller's budget (a buyer's openid, `op:<id>` for an
    operator) and its client IP's; calls with neither share one anonymous budget. Raises
    RateLimited with a retry hint when a budget is spent."""
    limit = limit_for(function)
    window = int(now.timestamp()) // 60
    anonymous = ANONYMOUS if caller is None and client_ip is None else None
    budgets = [
        (f"{function}:{who}:{window}", allowed)
        for who, allowed in (
            (caller, limit),
            (f"ip:{client_ip}" if client_ip else None, limit * IP_FACTOR),
            (anonymous, limit * IP_FACTOR),
        )
        if who is not None
    ]
    if not _spend(db, budgets, now + timedelta(minutes=2)):
        raise RateLimited(
            f"too many calls to {function}; slow down", retry_after_seconds=60 - now.second
        )


def _spend(db: Db, budgets: list[tuple[str, int]], expires_at: datetime) -> bool:
    """Count one call in each budget (window id, calls allowed), in order, in one batch;
    False when one is spent. A budget is counted only while under its allowance (`$lt` in the
    filter), so a spent one refuses the upsert's insert (its window exists): the batch,
    ordered, stops there and the budgets after it are not charged for a refused call.

    A duplicate key may also be the first two calls of a window racing to create it (MongoDB
    retries an upsert itself only when its filter is equality alone: store.upsert_where);
    that budget is counted again as a plain update, and the rest of the batch goes on."""
    pending = budgets
    while pending:
        batch = [
            UpdateOne(
                {"_id": window, "calls": {"$lt": allowed}},
                {"$inc": {"calls": 1}, "$setOnInsert": {"expires_at": expires_at}},
                upsert=True,
            )
            for window, allowed in pending
        ]
        try:
            db.rate_windows.bulk_write(batch, ordered=True)
            return True
        except BulkWriteError as refused:
            first = refused.details["writeErrors"][0]
            if first["code"] != DUPLICATE_KEY:
                raise
            window, allowed = pending[first["index"]]
            again = db.rate_windows.update_one(
                {"_id": window, "calls": {"$lt": allowed}}, {"$inc": {"calls": 1}}
            )
            if not again.matched_count:
                return False
            pending = pending[first["index"] + 1 :]
    return True


def forget_limits() -> None:
    _limits.cache_clear()
