"""Scheduled jobs as resumable batches: one small conditional write per item, a summary, and a
clean stop before the function's time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from retail.common.models import OUT, STRICT
from retail.store import Db, Documents

SAFETY_MARGIN_SECONDS = 2.0


class BatchRequest(BaseModel):
    """The timer's Message (JSON), all optional."""

    model_config = STRICT
    batch_size: int = Field(200, ge=1, le=5000)
    max_batches: int = Field(50, ge=1, le=10_000)


class BatchSummary(BaseModel):
    model_config = OUT
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    next_cursor: str | None = None
    stopped_early: bool = False


@dataclass
class Budget:
    """Wall-clock left for this invocation (SCF's time_limit_in_ms, minus a margin)."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_limit(cls, time_limit_ms: int | None, default_seconds: float = 60.0) -> Budget:
        """From SCF's time_limit_in_ms for this invocation (a default when unknown)."""
        seconds = time_limit_ms / 1000.0 if time_limit_ms else default_seconds
        return cls(max(seconds - SAFETY_MARGIN_SECONDS, 0.5))

    def exhausted(self) -> bool:
        return time.monotonic() - self.started >= self.seconds


Outcome = Literal["processed", "skipped", "failed"]
SummaryT = TypeVar("SummaryT", bound=BatchSummary)
ItemT = TypeVar("ItemT", bound=Mapping[str, Any])  # a document with an `_id`


def run_batches(
    cmd: BatchRequest,
    budget: Budget,
    fetch: Callable[[int], Sequence[ItemT]],
    handle: Callable[[ItemT], Outcome],
    summary: SummaryT,
) -> SummaryT:
    """Fetch up to batch_size items still to do, handle each, until none are left, the batch
    limit is reached, or the time budget runs out (next_cursor names the last item done).

    `handle` must leave each item out of the next fetch, whatever its outcome.
    """
    for _ in range(cmd.max_batches):
        batch = fetch(cmd.batch_size)
        if not batch:
            return summary
        for item in batch:
            outcome = handle(item)
            setattr(summary, outcome, getattr(summary, outcome) + 1)
            if budget.exhausted():
                summary.stopped_early, summary.next_cursor = True, str(item["_id"])
                return summary
    summary.stopped_early = True
    return summary


class ForwardCursor:
    """Where a recurring job is in a collection, by `_id`, kept in `job_cursors` so each run
    goes on after the last item the previous run reached: nothing at the front of the queue
    can starve what is behind it. At the end it wraps to the start, once per run, and stops
    where this run began."""

    def __init__(self, db: Db, job: str) -> None:
        self.db, self.job = db, job
        doc = db.job_cursors.find_one({"_id": job}) or {}
        self.began = self.after = str(doc.get("after", ""))
        self.wrapped = not self.began  # starting at the very beginning: nothing to wrap to

    def fetch(
        self, collection: Documents, query: dict[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        found = self._page(collection, query, limit)
        if not found and not self.wrapped:
            self.wrapped, self.after = True, ""
            found = self._page(collection, query, limit)
        return found

    def _page(
        self, collection: Documents, query: dict[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        window: dict[str, Any] = {"$gt": self.after}
        if self.wrapped and self.began:
            window["$lte"] = self.began
        found: list[dict[str, Any]] = list(
            collection.find({**query, "_id": window}, sort=[("_id", 1)], limit=limit)
        )
        return found

    def passed(self, item_id: str) -> None:
        self.after = item_id
        self.db.job_cursors.update_one({"_id": self.job}, {"$set": {"after": item_id}}, upsert=True)
