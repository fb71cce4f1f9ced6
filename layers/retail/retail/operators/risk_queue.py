"""The risk review queue: operators see each rule hit with its evidence, oldest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.store import Db


class RiskQueue(BaseModel):
    model_config = STRICT
    # spelt out for the request schema; the same words as RiskStatus
    status: Literal["OPEN", "RELEASED", "REJECTED"] = "OPEN"
    kind: str | None = Field(None, max_length=40, pattern=r"^[a-z_]+$")
    limit: int = Field(50, ge=1, le=200)


class RiskEventView(BaseModel):
    model_config = OUT
    event_id: str
    kind: str
    action: str
    status: str
    openid: str | None = None
    order_id: str | None = None
    evidence: dict[str, Any]
    created_at: datetime
    decided_by: str | None = None
    note: str | None = None


class RiskEvents(BaseModel):
    model_config = OUT
    events: list[RiskEventView]


def event_view(doc: dict[str, Any]) -> RiskEventView:
    fields = {k: v for k, v in doc.items() if k in RiskEventView.model_fields}
    return RiskEventView(**{**fields, "event_id": doc["_id"], "evidence": doc.get("evidence", {})})


def list_risk_events(cmd: RiskQueue, *, db: Db | None = None) -> RiskEvents:
    db = db if db is not None else database()
    query: dict[str, Any] = {"status": cmd.status}
    if cmd.kind:
        query["kind"] = cmd.kind
    found = db.risk_events.find(query, sort=[("created_at", 1)], limit=cmd.limit)
    return RiskEvents(events=[event_view(doc) for doc in found])
