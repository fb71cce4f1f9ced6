"""Buyers ask for their money back: automatic before shipping, operator-approved after, and
operator-approved before shipping too for a buyer who asks for refunds unusually often (the
refund-abuse risk rule)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound, found
from retail.common.models import ORDER_ID, STRICT
from retail.common.operator import Operator, Role
from retail.common.vocabulary import RefundRequestStatus as R
from retail.orders.custody import refunds_asked_since
from retail.orders.models import OrderView
from retail.orders.parcel_refunds import (
    NOTHING_LEFT,
    check_parcel,
    is_last_parcel,
    nothing_left,
    rest_never_left,
    start_parcel_refund,
    unchanged_parcels,
)
from retail.orders.records import COMPLETED, PAID, REFUNDED, REFUNDING, SHIPPED, to_view
from retail.orders.refunding import (
    ask_for_review,
    effects_applied,
    refundable,
    reject_review,
    start_refunding,
)
from retail.risk import record_risk_event, refunds_before_erasure, risk_limit
from retail.store import Db

from .refunds import refund_order, refund_parcel


class RequestRefund(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID
    reason: str = Field(min_length=1, max_length=80)
    merchant_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_:-]+$",
        description="only this merchant's parcel of an order with goods from several",
    )


class ReviewRefund(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID
    approve: bool
    note: str | None = Field(None, max_length=80)


def request_refund(cmd: RequestRefund, *, buyer: str, db: Db | None = None) -> OrderView:
    """Raises NotFound (not the caller's order) or Conflict (nothing paid to refund)."""
    db = db if db is not None else database()
    order = db.orders.find_one({"_id": cmd.order_id, "openid": buyer})
    if order is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    if cmd.merchant_id is not None and not is_last_parcel(order, cmd.merchant_id):
        answered = _request_parcel_refund(db, order, cmd.merchant_id, cmd.reason, buyer)
        if answered is not None:
            return to_view(answered)
        order = db.orders.find_one({"_id": cmd.order_id}) or order  # its last parcel now
    unshipped = nothing_left(order) or rest_never_left(order)
    held = unshipped and _refunds_look_abusive(db, buyer, order["_id"])
    if unshipped and not held:
        refunded = refund_unshipped_order(db, order, cmd.reason)
        if refunded is not None:
            return to_view(refunded)
        order = db.orders.find_one({"_id": cmd.order_id}) or order
    if order["status"] in (SHIPPED, COMPLETED) or order.get("parcels") or held:
        return to_view(ask_for_review(db, order, cmd.reason))
    if order["status"] in (REFUNDING, REFUNDED):
        return to_view(order)
    raise Conflict(
        f"an order in status {order['status']} has nothing to refund", status=order["status"]
    )


def _request_parcel_refund(
    db: Db, order: dict[str, Any], merchant_id: str, reason: str, buyer: str
) -> dict[str, Any] | None:
    """A parcel that has not left goes back to stock and its share is refunded; a shipped
    one waits for review. A retried request answers the order as it is; None if the other
    parcels went back meanwhile, so that this one is the rest of the order."""
    if merchant_id in (order.get("parcel_refunds") or {}):
        return order
    check_parcel(order, merchant_id)
    waiting = merchant_id not in (order.get("parcels") or {}) and order["status"] != COMPLETED
    if waiting and not _refunds_look_abusive(db, buyer, order["_id"]):
        started = start_parcel_refund(
            db,
            order["_id"],
            merchant_id,
            reason,
            restock=True,
            condition={f"parcels.{merchant_id}": {"$exists": False}},
        )
        if started is not None:
            return refund_parcel(db, started, merchant_id)
        order = db.orders.find_one({"_id": order["_id"]}) or order
        if merchant_id in (order.get("parcel_refunds") or {}):
            return order
        if is_last_parcel(order, merchant_id):
            return None
    return ask_for_review(db, order, reason, merchant_id)


def _refunds_look_abusive(db: Db, buyer: str, order_id: str) -> bool:
    """True (and a risk event) when the buyer's recent refunds reach the limit."""
    since = utcnow() - timedelta(days=30)
    recent = len(refunds_asked_since(db, buyer, since))
    recent += refunds_before_erasure(db, buyer, since)  # on accounts this WeChat user erased
    if recent < risk_limit("refunds_per_30_days"):
        return False
    record_risk_event(
        db,
        f"refunds:{order_id}",
        "refund_abuse",
        "hold",
        openid=buyer,
        order_id=order_id,
        refunds_in_30_days=recent,
    )
    return True


def refund_paid_order(db: Db, order_id: str, reason: str) -> dict[str, Any] | None:
    """A paid, unshipped order back to the buyer: PAID -> REFUNDING, goods back to stock,
    refund sent. None if the order was not PAID or a parcel of it has left."""
    refunding = start_refunding(
        db,
        order_id,
        PAID,
        reason,
        extra={"restock": True, "refund_reason": reason},
        condition=NOTHING_LEFT,
    )
    return None if refunding is None else send_order_refund(db, refunding)


def refund_unshipped_order(db: Db, order: dict[str, Any], reason: str) -> dict[str, Any] | None:
    """What is left of an order that has not left: a PAID order, or a SHIPPED one whose
    parcels that left were all refunded by parcel (the waiting ones go back to stock, the
    coupon stays spent: goods did leave). None if the order changed meanwhile."""
    if nothing_left(order):
        return refund_paid_order(db, order["_id"], reason)
    refunding = start_refunding(
        db,
        order["_id"],
        SHIPPED,
        reason,
        extra={"restock": False, "refund_reason": reason},
        condition=unchanged_parcels(order),
    )
    return None if refunding is None else send_order_refund(db, refunding)


def refund_failed_deal(db: Db, order_id: str, reason: str) -> dict[str, Any] | None:
    """A paid order whose deal did not happen (its group failed): all the money back without
    review, goods restocked if they never left. None if nothing was paid."""
    refunded = refund_paid_order(db, order_id, reason)
    if refunded is not None:
        return refunded
    refunding = start_refunding(
        db,
        order_id,
        [PAID, SHIPPED, COMPLETED],  # PAID: a parcel has just left
        reason,
        extra={"restock": False, "refund_reason": reason},
    )
    return None if refunding is None else send_order_refund(db, refunding)


def review_refund(cmd: ReviewRefund, *, operator: Operator, db: Db | None = None) -> OrderView:
    """An operator approves (money back, goods not restocked) or rejects a refund request.
    Raises Forbidden for a merchant's operator."""
    db = db if db is not None else database()
    operator.require(Role.ADMIN, Role.SERVICE, what="review refunds")
    request = (db.orders.find_one({"_id": cmd.order_id}, {"refund_request": 1}) or {}).get(
        "refund_request"
    ) or {}
    parcel = request.get("merchant_id")
    if cmd.approve and parcel:
        order = db.orders.find_one({"_id": cmd.order_id}) or {}
        last = is_last_parcel(order, parcel)
        approved = None if last else _approve_parcel(db, cmd, operator, parcel)
        if approved is not None:
            return to_view(approved)
        # the other parcels went back meanwhile: this one is the rest of the order
    if cmd.approve:
        current = db.orders.find_one({"_id": cmd.order_id}, {"status": 1, "parcels": 1}) or {}
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
        if refunding is not None:
            _audit_review(db, operator, cmd, status=REFUNDING)
            return to_view(send_order_refund(db, refunding))
    else:
        if reject_review(db, cmd.order_id, cmd.note, operator.operator_id):
            _audit_review(db, operator, cmd)  # only what was decided is in the audit log
    return to_view(found(db.orders.find_one({"_id": cmd.order_id}), f"order {cmd.order_id!r}"))


def _approve_parcel(
    db: Db, cmd: ReviewRefund, operator: Operator, merchant_id: str
) -> dict[str, Any] | None:
    """Approve a parcel's refund; its goods go back to stock only if they never left (each
    attempt names whether the parcel has left, so a parcel shipped meanwhile is not put back).
    The request moves onto the parcel's record, so the order may ask for another. None if
    the other parcels went back meanwhile, so that this one is the rest of the order."""
    review = {"by": operator.operator_id, "note": cmd.note}
    asked = {"refund_request.status": R.REQUESTED, "refund_request.merchant_id": merchant_id}
    for restock in (True, False):
        started = start_parcel_refund(
            db,
            cmd.order_id,
            merchant_id,
            cmd.note or "refund approved",
            restock=restock,
            review=review,
            condition={**asked, f"parcels.{merchant_id}": {"$exists": not restock}},
        )
        if started is not None:
            _audit_review(db, operator, cmd, merchant_id=merchant_id)
            return refund_parcel(db, started, merchant_id)
    order = db.orders.find_one({"_id": cmd.order_id}) or {}
    refunded = merchant_id in (order.get("parcel_refunds") or {})
    return None if not refunded and is_last_parcel(order, merchant_id) else order


def _audit_review(db: Db, operator: Operator, cmd: ReviewRefund, **outcome: Any) -> None:
    after = {"approve": cmd.approve, **outcome, "note": cmd.note}
    record_audit(db, operator, "refund_review", cmd.order_id, None, after)


def send_order_refund(db: Db, order: dict[str, Any]) -> dict[str, Any]:
    """Record and send the whole refund a REFUNDING order is owed (once, by out_refund_no)."""
    order = effects_applied(db, order["_id"])  # with its points shortfall
    return refund_order(
        db,
        order,
        transaction_id=order["transaction_id"],
        amount=refundable(order),
        total=int(order["paid_amount"]),
        reason=order.get("refund_reason") or "refund approved",
    )
