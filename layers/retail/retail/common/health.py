"""Liveness: the function runs and its store answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from retail.common.models import OUT

from .clock import utcnow
from .database import database


class CheckHealth(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Health(BaseModel):
    model_config = OUT
    status: str
    time: datetime


def check_health(_: CheckHealth) -> Health:
    database().command("ping")
    return Health(status="ok", time=utcnow())
