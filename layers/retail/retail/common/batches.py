"""Scheduled jobs as resumable batches: one small conditional write per item, a summary, and a
clean stop before the function's time runs out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

SAFETY_MARGIN_SECONDS = 2.0


class BatchRequest(BaseModel):
    """The timer's Message (JSON), all optional."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)
    batch_size: int = Field(200, ge=1, le=5000)
    max_batches: int = Field(50, ge=1, le=10_000)


class BatchSummary(BaseModel):
    model_config = ConfigDict(defer_build=True)
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
