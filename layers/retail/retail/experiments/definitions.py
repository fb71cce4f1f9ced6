"""Experiment and flag definitions, saved by admins (audited).

An experiment names its arms with integer weights, a salt (changing it reshuffles users),
and the metric that counts as a conversion (experiments.conversions). A flag is on for an
allow-list and for a percentage of everyone else, by the same bucketing as experiments.
A save drops this instance's cached definitions; other warm instances keep theirs for up to
CACHE_SECONDS, and the answer says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from retail.common.audit import save_audited
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import found
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator
from retail.store import Db

from .assignment import CACHE_SECONDS, forget_cached_definitions
from .conversions import require_recorded

NAME = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
PayloadKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")]
PayloadText = Annotated[str, StringConstraints(max_length=500)]
OPENID = StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
OTHER_INSTANCES = Field(
    CACHE_SECONDS,
    description="this instance serves the change at once; other warm instances (containers) "
    "read the definitions again within this many seconds",
)


class Arm(BaseModel):
    model_config = STRICT
    name: str = NAME
    weight: int = Field(ge=1, le=10_000)
    payload: dict[PayloadKey, PayloadText] = Field(default_factory=dict, max_length=10)


class SaveExperiment(BaseModel):
    model_config = STRICT
    experiment_id: str = NAME
    salt: str = Field(min_length=1, max_length=40)
    arms: list[Arm] = Field(min_length=2, max_length=10)
    metric: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[a-z_]+$",
        description="what converts: a tracked event type, or `order` (placed) / `pay` (paid), "
        "read from the orders; anything else is refused (reason METRIC_NOT_RECORDED)",
    )
    status: Literal["RUNNING", "STOPPED"] = "RUNNING"

    @model_validator(mode="after")
    def arms_are_unique(self) -> SaveExperiment:
        if len({arm.name for arm in self.arms}) != len(self.arms):
            raise ValueError("arms: names must differ")
        return self


class SaveFlag(BaseModel):
    model_config = STRICT
    flag_id: str = NAME
    enabled: bool = True
    rollout_percent: float = Field(0, ge=0, le=100)
    allow: list[Annotated[str, OPENID]] = Field(default_factory=list, max_length=1000)
    salt: str = Field("flag", min_length=1, max_length=40)


class ExperimentView(BaseModel):
    model_config = OUT
    experiment_id: str
    salt: str
    arms: list[dict[str, Any]]
    metric: str
    status: str
    started_at: datetime
    other_instances_within_seconds: int = OTHER_INSTANCES


class FlagView(BaseModel):
    model_config = OUT
    flag_id: str
    enabled: bool
    rollout_percent: float
    allow: list[str]
    salt: str
    other_instances_within_seconds: int = OTHER_INSTANCES


def save_experiment(
    cmd: SaveExperiment, *, operator: Operator, db: Db | None = None
) -> ExperimentView:
    """Raises InvalidArgument (reason METRIC_NOT_RECORDED) for a metric that never converts."""
    require_recorded(cmd.metric)
    db = db if db is not None else database()
    fields = cmd.model_dump(exclude={"experiment_id"})
    save_audited(
        db,
        operator,
        "experiment_save",
        "experiments",
        cmd.experiment_id,
        fields,
        on_insert={"started_at": utcnow()},
    )
    forget_cached_definitions()
    saved = found(db.experiments.find_one({"_id": cmd.experiment_id}), "experiment")
    return ExperimentView(**{**saved, "experiment_id": saved["_id"]})


class ListExperiments(BaseModel):
    model_config = STRICT


class Experiments(BaseModel):
    model_config = OUT
    experiments: list[ExperimentView] = Field(description="newest first")


def list_experiments(_: ListExperiments, *, db: Db | None = None) -> Experiments:
    """Every experiment, so the console offers them by name instead of asking for an id."""
    db = db if db is not None else database()
    found = db.experiments.find({}, sort=[("started_at", -1)], limit=200)
    return Experiments(
        experiments=[ExperimentView(**{**e, "experiment_id": e["_id"]}) for e in found]
    )


def save_flag(cmd: SaveFlag, *, operator: Operator, db: Db | None = None) -> FlagView:
    db = db if db is not None else database()
    fields = cmd.model_dump(exclude={"flag_id"})
    save_audited(db, operator, "flag_save", "flags", cmd.flag_id, fields)
    forget_cached_definitions()
    return FlagView(flag_id=cmd.flag_id, **fields)
