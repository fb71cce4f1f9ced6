"""Deciding a risk event: RELEASE lets a held order go on (it can be shipped); REJECT cancels
it if unpaid or refunds it (goods back to stock) if paid. A decision is one conditional update
OPEN -> decided, so two reviewers cannot both act. Every decision is audited.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound, found
from retail.common.models import STRICT
from retail.common.operator import Operator
from retail.common.vocabulary import RiskStatus
from retail.orders import REFUND_ABUSE, reject_review, take_back
from retail.orders.custody import release_hold
from retail.store import Db

from .risk_queue import RiskEventView, event_view

EVENT_ID = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_:.-]+$")


class ReviewRisk(BaseModel):
    model_config = STRICT
    event_id: str = EVENT_ID
    decision: Literal["RELEASE", "REJECT"]
    note: str | None = Field(None, max_length=200)


def review_risk_event(
    cmd: ReviewRisk, *, operator: Operator, db: Db | None = None
) -> RiskEventView:
    """Raises NotFound (no such event) or Conflict (someone already decided it)."""
    db = db if db is not None else database()
    status = RiskStatus.RELEASED if cmd.decision == "RELEASE" else RiskStatus.REJECTED
    decided = db.risk_events.find_one_and_update(
        {"_id": cmd.event_id, "status": RiskStatus.OPEN},
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
        _apply_to_order(db, decided, status, operator)
    record_audit(
        db, operator, "risk_review", cmd.event_id, {"status": RiskStatus.OPEN}, {"status": status}
    )
    return event_view(found(db.risk_events.find_one({"_id": cmd.event_id}), "risk event"))


def _apply_to_order(db: Db, event: dict[str, Any], status: RiskStatus, operator: Operator) -> None:
    order_id = event["order_id"]
    if event["kind"] == REFUND_ABUSE:
        # What was held is a refund request, not the order: rejected, the request is; released,
        # it waits in the refund review queue like any other.
        if status == RiskStatus.REJECTED:
            reject_review(db, order_id, "rejected by risk review", operator.operator_id)
        return
    if status == RiskStatus.RELEASED:
        release_hold(db, order_id, event["_id"])
        return
    if event["action"] != "hold":
        return
    # Imported here: WeChat Pay (and cryptography) load only when a held order is rejected,
    # not on every operator function's cold start.
    from retail.payments import WECHAT_PAY

    take_back(db, order_id, "rejected by risk review", cashier=WECHAT_PAY)
