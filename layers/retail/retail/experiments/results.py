"""An experiment's results: per arm, the users exposed and those who converted after their
exposure (an event or order of the experiment's metric), and each arm against the first
(control) by a two-proportion z-test with a 95% confidence interval of the difference."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.models import OUT, STRICT
from retail.store import Db

from .conversions import conversions

Z_95 = 1.959964


class ShowResults(BaseModel):
    model_config = STRICT
    experiment_id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")


class ArmResult(BaseModel):
    model_config = OUT
    arm: str
    exposed: int
    converted: int
    rate: float
    lift: float | None = Field(default=None, description="rate minus the control's rate")
    ci_low: float | None = None
    ci_high: float | None = None
    z: float | None = None
    p_value: float | None = None


class ExperimentResults(BaseModel):
    model_config = OUT
    experiment_id: str
    metric: str
    status: str
    arms: list[ArmResult]


def two_proportions(c1: int, n1: int, c2: int, n2: int) -> tuple[float, float, float, float]:
    """(difference, z, two-sided p-value, half-width of the 95% interval) of p2 - p1."""
    p1, p2 = c1 / n1, c2 / n2
    pooled = (c1 + c2) / (n1 + n2)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / se_pooled if se_pooled else 0.0
    p_value = math.erfc(abs(z) / math.sqrt(2))
    half = Z_95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p2 - p1, z, p_value, half


def experiment_results(cmd: ShowResults, *, db: Db | None = None) -> ExperimentResults:
    db = db if db is not None else database()
    experiment = db.experiments.find_one({"_id": cmd.experiment_id})
    if experiment is None:
        raise NotFound(f"no experiment {cmd.experiment_id!r}")
    exposed_at: dict[str, Any] = {}
    arm_of: dict[str, str] = {}
    for exposure in db.exposures.find({"experiment": cmd.experiment_id}):
        exposed_at[exposure["openid"]] = exposure["at"]
        arm_of[exposure["openid"]] = exposure["arm"]
    converted: set[str] = set()
    for openid, at in conversions(db, experiment["metric"], experiment["started_at"]):
        seen = exposed_at.get(openid)
        if seen is not None and at >= seen:
            converted.add(openid)
    counts = {arm["name"]: [0, 0] for arm in experiment["arms"]}
    for openid, arm in arm_of.items():
        tally = counts.setdefault(arm, [0, 0])
        tally[0] += 1
        tally[1] += openid in converted
    return ExperimentResults(
        experiment_id=cmd.experiment_id,
        metric=experiment["metric"],
        status=experiment["status"],
        arms=_compare(counts),
    )


def _compare(counts: dict[str, list[int]]) -> list[ArmResult]:
    (control, (n1, c1)), *others = counts.items()
    results = [ArmResult(arm=control, exposed=n1, converted=c1, rate=c1 / n1 if n1 else 0.0)]
    for arm, (n2, c2) in others:
        result = ArmResult(arm=arm, exposed=n2, converted=c2, rate=c2 / n2 if n2 else 0.0)
        if n1 and n2:
            lift, z, p_value, half = two_proportions(c1, n1, c2, n2)
            result = result.model_copy(
                update={
                    "lift": lift,
                    "ci_low": lift - half,
                    "ci_high": lift + half,
                    "z": z,
                    "p_value": p_value,
                }
            )
        results.append(result)
    return results
