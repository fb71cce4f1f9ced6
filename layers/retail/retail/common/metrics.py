"""Per-function call metrics: counted in the instance, written as one counter document per
function, minute and instance (calls, answers by code, a latency histogram), read back as
rates and percentiles over a rolling window by the operators' metrics_show.

Each instance (process) has its own documents, so concurrent instances never queue on one
hot counter; the report adds them up. An instance that is reclaimed loses at most its last
few seconds of counts: monitoring, not accounting."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache

from .database import database
from .errors import error_fields
from .logs import log

BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 3000)
KEEP = timedelta(days=7)
FLUSH_SECONDS, FLUSH_CALLS = 5.0, 200
_LOCK = threading.Lock()
_PENDING: dict[tuple[str, datetime], Counter[str]] = {}
_STATE = {"calls": 0, "flushed": time.monotonic()}


@lru_cache(maxsize=1)
def _instance() -> str:
    return f"{os.getpid()}-{secrets.token_hex(3)}"


def bucket_of(ms: float) -> str:
    for bound in BUCKETS_MS:
        if ms <= bound:
            return f"le{bound}"
    return "over"


def record_call(function: str, code: str, ms: float, now: datetime) -> None:
    """Count one call in this instance; the counts reach the store at most FLUSH_SECONDS or
    FLUSH_CALLS later, one upsert per function and minute, so a call pays no write."""
    minute = now.replace(second=0, microsecond=0)
    with _LOCK:
        counts = _PENDING.setdefault((function, minute), Counter())
        counts.update(("calls", f"codes.{code}", f"latency.{bucket_of(ms)}"))
        _STATE["calls"] += 1
        due = _STATE["calls"] >= FLUSH_CALLS or time.monotonic() - _STATE["flushed"] > FLUSH_SECONDS
    if due:
        flush_metrics()


def flush_metrics() -> None:
    """Write what this instance counted; never lets a metrics failure reach a caller."""
    with _LOCK:
        pending = dict(_PENDING)
        _PENDING.clear()
        _STATE["calls"], _STATE["flushed"] = 0, time.monotonic()
    try:
        for (function, minute), counts in pending.items():
            database().metrics.update_one(
                {"_id": f"{function}:{minute:%Y%m%d%H%M}:{_instance()}"},
                {
                    "$inc": dict(counts),
                    "$setOnInsert": {
                        "function": function,
                        "minute": minute,
                        "expires_at": minute + KEEP,
                    },
                },
                upsert=True,
            )
    except Exception as exc:  # noqa: BLE001 - metrics are best effort, answers are not
        log("metrics_not_recorded", "WARNING", **error_fields(exc))


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
