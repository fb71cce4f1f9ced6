"""An operator decides a refund request that waits for review: approved, the money goes
back (goods restocked only if they never left); rejected, the order stays as it was."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.database import database
from retail.common.errors import found
from retail.common.models import ORDER_ID, STRICT
from retail.common.operator import Operator, Role
from retail.common.vocabulary import RefundRequestStatus as R
from retail.store import Db

from .document import Order, orders_of
from .models import OrderView
from .notices import notify_refund
from .parcel_refunds import NOTHING_LEFT, is_last_parcel, nothing_left, start_parcel_refund
from .parcel_states import WAITING, has_left, in_state
from .records import COMPLETED, PAID, REFUNDING, SHIPPED, to_view
from .refunding import reject_review, start_refunding
from .take_back import Cashier


class ReviewRefund(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID
    approve: bool
    note: str | None = Field(None, max_length=80)


def review_refund(
    cmd: ReviewRefund, *, operator: Operator, cashier: Cashier, db: Db | None = None
) -> OrderView:
    """An operator approves (money back, goods not restocked) or rejects a refund request.
    Raises Forbidden for a merchant's operator."""
    db = db if db is not None else database()
    operator.require(Role.ADMIN, Role.SERVICE, what="review refunds")
    request = (orders_of(db).find_one({"_id": cmd.order_id}, {"refund_request": 1}) or {}).get(
        "refund_request"
    ) or {}
    parcel = request.get("merchant_id")
    if cmd.approve and parcel:
        order = orders_of(db).find_one({"_id": cmd.order_id}) or {}
        last = is_last_parcel(order, parcel)
        approved = None if last else _approve_parcel(db, cmd, operator, parcel, cashier)
        if approved is not None:
            return to_view(approved)
        # the other parcels went back meanwhile: this one is the rest of the order
    if cmd.approve:
        approved = _approve_order(db, cmd, operator, cashier)
        if approved is not None:
            return to_view(approved)
    elif reject_review(db, cmd.order_id, cmd.note, operator.operator_id):
        _audit_review(db, operator, cmd)  # only what was decided is in the audit log
        rejected = found(orders_of(db).find_one({"_id": cmd.order_id}), "order")
        asked = (rejected.get("refund_request") or {}).get("at")
        event = f"{cmd.order_id}:rejected:{asked.timestamp() if asked else ''}"
        notify_refund(db, rejected, event, 0, "退款未通过")
    return to_view(found(orders_of(db).find_one({"_id": cmd.order_id}), f"order {cmd.order_id!r}"))


def _approve_order(db: Db, cmd: ReviewRefund, operator: Operator, cashier: Cashier) -> Order | None:
    """The whole order's request approved: REFUNDING and the money sent; None if no request
    was waiting (decided already, or never made)."""
    current = orders_of(db).find_one({"_id": cmd.order_id}, {"status": 1, "parcels": 1}) or {}
    unshipped = nothing_left(current)  # held by the refund-abuse rule
    refunding = start_refunding(
        db,
        cmd.order_id,
        PAID if unshipped else [PAID, SHIPPED, COMPLETED],
        cmd.note or "refund approved",
        extra={
            "restock": unshipped,
            "refund_request.status": R.APPROVED,
            "refund_request.reviewed_by": operator.operator_id,
        },
        condition={
            "refund_request.status": R.REQUESTED,
            **(NOTHING_LEFT if unshipped else {}),
        },
    )
    if refunding is None:
        return None
    _audit_review(db, operator, cmd, status=REFUNDING)
    return cashier.refund_order(db, refunding)


def _approve_parcel(
    db: Db, cmd: ReviewRefund, operator: Operator, merchant_id: str, cashier: Cashier
) -> Order | None:
    """Approve a parcel's refund; its goods go back to stock only if they never left (each
    attempt names whether the parcel has left, so a parcel shipped meanwhile is not put back).
    The request moves onto the parcel's record, so the order may ask for another. None if
    the other parcels went back meanwhile, so that this one is the rest of the order."""
    review = {"by": operator.operator_id, "note": cmd.note}
    asked = {"refund_request.status": R.REQUESTED, "refund_request.merchant_id": merchant_id}
    for restock in (True, False):
        where = in_state(merchant_id, WAITING) if restock else has_left(merchant_id)
        started = start_parcel_refund(
            db,
            cmd.order_id,
            merchant_id,
            cmd.note or "refund approved",
            restock=restock,
            review=review,
            condition={**asked, **where},
        )
        if started is not None:
            _audit_review(db, operator, cmd, merchant_id=merchant_id)
            return cashier.refund_parcel(db, started, merchant_id)
    order = orders_of(db).find_one({"_id": cmd.order_id}) or {}
    refunded = merchant_id in (order.get("parcel_refunds") or {})
    return None if not refunded and is_last_parcel(order, merchant_id) else order


def _audit_review(db: Db, operator: Operator, cmd: ReviewRefund, **outcome: Any) -> None:
    after = {"approve": cmd.approve, **outcome, "note": cmd.note}
    record_audit(db, operator, "refund_review", cmd.order_id, None, after)
