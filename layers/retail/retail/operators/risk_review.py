"""The risk review queue: operators see each rule hit with its evidence and decide.

RELEASE lets a held order go on (it can be shipped); REJECT cancels it if unpaid or refunds
it (goods back to stock) if paid. A decision is one conditional update OPEN -> decided, so
two reviewers cannot both act. Admins also keep the blacklist. Every decision is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.clientip import normalise_ip
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, InvalidArgument, NotFound
from retail.common.models import OUT, STRICT
from retail.orders import cancel_unpaid
from retail.orders.custody import release_hold
from retail.risk import OPEN, phone_fingerprint

EVENT_ID = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_:.-]+$")


class RiskQueue(BaseModel):
    model_config = STRICT
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


class ReviewRisk(BaseModel):
    model_config = STRICT
    event_id: str = EVENT_ID
    decision: Literal["RELEASE", "REJECT"]
    note: str | None = Field(None, max_length=200)


class UpdateBlacklist(BaseModel):
    model_config = STRICT
    kind: Literal["openid", "device", "ip", "address", "phone"]
    value: str = Field(min_length=1, max_length=200)
    listed: bool = True
    reason: str = Field(min_length=1, max_length=200)


class BlacklistEntry(BaseModel):
    model_config = OUT
    entry_id: str
    listed: bool


def _view(doc: dict[str, Any]) -> RiskEventView:
    fields = {k: v for k, v in doc.items() if k in RiskEventView.model_fields}
    return RiskEventView(**{**fields, "event_id": doc["_id"], "evidence": doc.get("evidence", {})})


def list_risk_events(cmd: RiskQueue, *, db: Any = None) -> RiskEvents:
    db = db if db is not None else database()
    query: dict[str, Any] = {"status": cmd.status}
    if cmd.kind:
        query["kind"] = cmd.kind
    found = db.risk_events.find(query, sort=[("created_at", 1)], limit=cmd.limit)
    return RiskEvents(events=[_view(doc) for doc in found])


def review_risk_event(cmd: ReviewRisk, *, operator: Any, db: Any = None) -> RiskEventView:
    """Raises NotFound (no such event) or Conflict (someone already decided it)."""
    db = db if db is not None else database()
    status = "RELEASED" if cmd.decision == "RELEASE" else "REJECTED"
    decided = db.risk_events.find_one_and_update(
        {"_id": cmd.event_id, "status": OPEN},
        {
            "$set": {
                "status": status,
                "decided_by": operator.operator_id,
                "decided_at": utcnow(),
                "note": cmd.note,
            }
        },
    )
    if decided is None:
        existing = db.risk_events.find_one({"_id": cmd.event_id})
        if existing is None:
            raise NotFound(f"no risk event {cmd.event_id!r}")
        raise Conflict(f"this event was already {existing['status']}", status=existing["status"])
    if decided.get("order_id"):
        _apply_to_order(db, decided, status)
    record_audit(db, operator, "risk_review", cmd.event_id, {"status": OPEN}, {"status": status})
    return _view(db.risk_events.find_one({"_id": cmd.event_id}))


def _apply_to_order(db: Any, event: dict[str, Any], status: str) -> None:
    order_id = event["order_id"]
    if status == "RELEASED":
        release_hold(db, order_id, event["_id"])
        return
    if event["action"] != "hold":
        return
    # Imported here: WeChat Pay (and cryptography) load only when a held order is rejected,
    # not on every operator function's cold start.
    from retail.payments import close_payment
    from retail.payments.refund_requests import refund_paid_order

    order = db.orders.find_one({"_id": order_id})
    if order is None:
        return
    if cancel_unpaid(db, order, "rejected by risk review", close_payment=close_payment) is None:
        refund_paid_order(db, order_id, "rejected by risk review")


def update_blacklist(cmd: UpdateBlacklist, *, operator: Any, db: Any = None) -> BlacklistEntry:
    """Address and phone entries are fingerprints, as risk events show them; a phone may
    also be given as the number. Raises InvalidArgument for an address given in clear."""
    db = db if db is not None else database()
    value = cmd.value
    if cmd.kind == "ip":
        value = normalise_ip(value) or ""
        if not value:
            raise InvalidArgument("an ip entry is one IPv4 or IPv6 address")
    if cmd.kind == "phone" and not _is_fingerprint(value):
        value = phone_fingerprint(value) or ""
        if not value:
            raise InvalidArgument("a phone is its fingerprint or a number with digits")
    if cmd.kind == "address" and not _is_fingerprint(value):
        raise InvalidArgument("give the address fingerprint a risk event shows")
    entry_id = f"{cmd.kind}:{value}"
    before = db.blacklist.find_one({"_id": entry_id})
    if cmd.listed:
        db.blacklist.update_one(
            {"_id": entry_id},
            {"$set": {"reason": cmd.reason, "by": operator.operator_id, "at": utcnow()}},
            upsert=True,
        )
    else:
        db.blacklist.delete_one({"_id": entry_id})
    record_audit(
        db,
        operator,
        "blacklist_update",
        entry_id,
        {"listed": before is not None},
        {"listed": cmd.listed, "reason": cmd.reason},
    )
    return BlacklistEntry(entry_id=entry_id, listed=cmd.listed)


def _is_fingerprint(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)
