"""Timer housekeeping_run: what a TTL index cannot do. Rate-limit windows, metrics, per-day
account sets and sign-in attempts expire by their TTL indexes (infra/indexes.json, on
MongoDB and on the embedded engine alike); the timer finishes account erasures
(privacy.finish_erasures) and the promoter-balance moves a call that died left owed
(referral.settle_due_moves)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from retail.common.models import OUT


class Housekeep(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class HousekeepingSummary(BaseModel):
    model_config = OUT
    erasures_finished: int = Field(0, description="account erasures swept again and closed")
    balance_moves_settled: int = Field(
        0, description="commissions whose balance move a call that died left owed"
    )
