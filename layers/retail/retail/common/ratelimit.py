"""Per-minute call budgets per caller and per client IP, counted in the store so every
function instance shares them (one conditional upsert per call)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from pymongo import ReturnDocument

from retail.store import Db, upserted

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
    for who, allowed in (
        (caller, limit),
        (f"ip:{client_ip}" if client_ip else None, limit * IP_FACTOR),
        (anonymous, limit * IP_FACTOR),
    ):
        if who is None:
            continue
        counter = upserted(
            db.rate_windows.find_one_and_update(
                {"_id": f"{function}:{who}:{window}"},
                {"$inc": {"calls": 1}, "$setOnInsert": {"expires_at": now + timedelta(minutes=2)}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        )
        if counter["calls"] > allowed:
            raise RateLimited(
                f"too many calls to {function}; slow down", retry_after_seconds=60 - now.second
            )


def forget_limits() -> None:
    _limits.cache_clear()
