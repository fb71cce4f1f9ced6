"""Per-function call metrics: one counter document per function, minute and function
instance, bumped by one upsert per call (calls, answers by code, a latency histogram), read
back as rates and percentiles over a rolling window by the operators' metrics_show.

Each instance (process) has its own documents, so concurrent instances never queue on one
hot counter; the report adds them up."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from .database import database
from .logs import log

BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 3000)
KEEP = timedelta(days=7)


@lru_cache(maxsize=1)
def _instance() -> str:
    return f"{os.getpid()}-{secrets.token_hex(3)}"


def bucket_of(ms: float) -> str:
    for bound in BUCKETS_MS:
        if ms <= bound:
            return f"le{bound}"
    return "over"


def record_call(function: str, code: str, ms: float, now: datetime) -> None:
    """Count one call; never lets a metrics failure reach the caller."""
    minute = now.replace(second=0, microsecond=0)
    try:
        database().metrics.update_one(
            {"_id": f"{function}:{minute:%Y%m%d%H%M}:{_instance()}"},
            {
                "$inc": {"calls": 1, f"codes.{code}": 1, f"latency.{bucket_of(ms)}": 1},
                "$setOnInsert": {
                    "function": function,
                    "minute": minute,
                    "expires_at": minute + KEEP,
                },
            },
            upsert=True,
        )
    except Exception as exc:  # noqa: BLE001 - metrics are best effort, answers are not
        log("metrics_not_recorded", "WARNING", error=type(exc).__name__)


def percentile(histogram: dict[str, int], share: float) -> int | None:
    """The upper bound (ms) of the bucket holding the `share` quantile; None without calls."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for bound in BUCKETS_MS:
        seen += histogram.get(f"le{bound}", 0)
        if seen >= share * total:
            return bound
    return BUCKETS_MS[-1] * 10
