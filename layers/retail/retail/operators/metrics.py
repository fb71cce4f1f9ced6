"""metrics_show: per function over the last N minutes: calls, answers by code, error rate
(INTERNAL and upstream failures), and latency percentiles from the histogram."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Forbidden
from retail.common.metrics import FLUSH_CALLS, FLUSH_SECONDS, flush_metrics, percentile
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator, Role
from retail.store import Db

FAULTS = ("INTERNAL", "UPSTREAM_UNAVAILABLE")
FRESHNESS = (
    "This instance's calls are all counted. Every other instance writes its counts at its "
    f"first call {FLUSH_SECONDS:g} s after its last write (or after {FLUSH_CALLS} calls), "
    f"so it may hold back its last {FLUSH_SECONDS:g} s of calls; an instance that serves no "
    "further call shows them only when it is next called (they are lost if it is reclaimed)."
)


class ShowMetrics(BaseModel):
    model_config = STRICT
    minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    function: str | None = Field(None, max_length=64, pattern=r"^[a-z_]+$")


class FunctionMetrics(BaseModel):
    model_config = OUT
    function: str
    calls: int
    codes: dict[str, int]
    error_rate: float
    p50_ms: int | None
    p95_ms: int | None
    p99_ms: int | None


class MetricsReport(BaseModel):
    model_config = OUT
    minutes: int
    functions: list[FunctionMetrics]
    held_back_seconds: int = Field(
        default=int(FLUSH_SECONDS),
        description="each other instance may still hold the counts of its calls of its last "
        "this many seconds (at most held_back_calls calls)",
    )
    held_back_calls: int = FLUSH_CALLS
    freshness: str = Field(default=FRESHNESS, description="how late these figures may be, and why")


def show_metrics(cmd: ShowMetrics, *, operator: Operator, db: Db | None = None) -> MetricsReport:
    if operator.kind != Role.ADMIN:
        raise Forbidden("only admins see the metrics")
    db = db if db is not None else database()
    flush_metrics()  # this instance's own recent calls
    query: dict[str, Any] = {"minute": {"$gte": utcnow() - timedelta(minutes=cmd.minutes)}}
    if cmd.function:
        query["function"] = cmd.function
    totals: dict[str, dict[str, Any]] = {}
    for doc in db.metrics.find(query):
        total = totals.setdefault(doc["function"], {"calls": 0, "codes": {}, "latency": {}})
        total["calls"] += doc["calls"]
        for part in ("codes", "latency"):
            for key, count in doc.get(part, {}).items():
                total[part][key] = total[part].get(key, 0) + count
    report = [
        FunctionMetrics(
            function=name,
            calls=t["calls"],
            codes=t["codes"],
            error_rate=round(sum(t["codes"].get(c, 0) for c in FAULTS) / t["calls"], 4),
            p50_ms=percentile(t["latency"], 0.50),
            p95_ms=percentile(t["latency"], 0.95),
            p99_ms=percentile(t["latency"], 0.99),
        )
        for name, t in sorted(totals.items())
    ]
    return MetricsReport(minutes=cmd.minutes, functions=report)
