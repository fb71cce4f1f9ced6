"""Feedback tickets and the operator queue that works them.

Its text is shown to staff only, but it is still checked by WeChat's content security when
written (content_check), so the queue flags what nobody should have to read unwarned.

A ticket is OPEN, then IN_PROGRESS, then RESOLVED (or CLOSED); each move is one conditional
update naming the state it leaves. High-value customers (the RFM segment of the last
rollup) get priority 1 and are served first; the rest priority 2.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound, found
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator
from retail.content import Judgement, Scene, judge_text
from retail.store import Db

Status = Literal["OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED"]
NEXT: dict[str, tuple[str, ...]] = {
    "IN_PROGRESS": ("OPEN",),
    "RESOLVED": ("OPEN", "IN_PROGRESS"),
    "CLOSED": ("OPEN", "IN_PROGRESS", "RESOLVED"),
}
TICKET_ID = Field(min_length=10, max_length=20, pattern=r"^T[A-Z0-9]+$")
PRIORITY_SEGMENTS = ("high_value",)


class CreateTicket(BaseModel):
    model_config = STRICT
    kind: Literal["complaint", "suggestion"]
    text: str = Field(min_length=2, max_length=1000)
    order_id: str | None = Field(None, min_length=1, max_length=32, pattern=r"^[A-Z0-9]+$")


class TicketQueue(BaseModel):
    model_config = STRICT
    status: Status = "OPEN"
    limit: int = Field(50, ge=1, le=200)


class UpdateTicket(BaseModel):
    model_config = STRICT
    ticket_id: str = TICKET_ID
    status: Literal["IN_PROGRESS", "RESOLVED", "CLOSED"]
    reply: str | None = Field(None, min_length=1, max_length=500)


class TicketView(BaseModel):
    model_config = OUT
    ticket_id: str
    kind: str
    text: str
    order_id: str | None = None
    status: str
    priority: int
    segment: str | None = None
    reply: str | None = None
    content_check: Judgement | None = Field(None, description="WeChat's judgement of the text")
    created_at: datetime


class Tickets(BaseModel):
    model_config = OUT
    tickets: list[TicketView]


def _view(doc: dict[str, Any]) -> TicketView:
    fields = {k: v for k, v in doc.items() if k in TicketView.model_fields}
    return TicketView(**{**fields, "ticket_id": doc["_id"]})


def create_ticket(cmd: CreateTicket, *, openid: str, db: Db | None = None) -> TicketView:
    """Raises NotFound when the order named is not the caller's."""
    db = db if db is not None else database()
    if cmd.order_id and db.orders.find_one({"_id": cmd.order_id, "openid": openid}) is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    customer = db.customers.find_one({"_id": openid}, {"segment": 1}) or {}
    segment = customer.get("segment")
    ticket = {
        "_id": "T" + secrets.token_hex(6).upper(),
        "openid": openid,
        "kind": cmd.kind,
        "text": cmd.text,
        "order_id": cmd.order_id,
        "status": "OPEN",
        "segment": segment,
        "priority": 1 if segment in PRIORITY_SEGMENTS else 2,
        "reply": None,
        "content_check": judge_text(openid, Scene.COMMENT, cmd.text).judgement,
        "created_at": utcnow(),
    }
    db.tickets.insert_one(ticket)
    return _view(ticket)


def ticket_queue(cmd: TicketQueue, *, db: Db | None = None) -> Tickets:
    db = db if db is not None else database()
    found = db.tickets.find(
        {"status": cmd.status}, sort=[("priority", 1), ("created_at", 1)], limit=cmd.limit
    )
    return Tickets(tickets=[_view(d) for d in found])


def update_ticket(cmd: UpdateTicket, *, operator: Operator, db: Db | None = None) -> TicketView:
    """Raises NotFound or Conflict (the ticket is not in a state that can move there)."""
    db = db if db is not None else database()
    changes: dict[str, Any] = {"status": cmd.status, "updated_at": utcnow()}
    if cmd.reply:
        changes.update(reply=cmd.reply, replied_by=operator.operator_id)
    before = db.tickets.find_one_and_update(
        {"_id": cmd.ticket_id, "status": {"$in": list(NEXT[cmd.status])}}, {"$set": changes}
    )
    if before is None:
        current = db.tickets.find_one({"_id": cmd.ticket_id})
        if current is None:
            raise NotFound(f"no ticket {cmd.ticket_id!r}")
        raise Conflict(f"a {current['status']} ticket cannot become {cmd.status}")
    record_audit(
        db, operator, "ticket_update", cmd.ticket_id, {"status": before["status"]}, changes
    )
    return _view(found(db.tickets.find_one({"_id": cmd.ticket_id}), "ticket"))
