"""Buyers ask for their money back: automatic before shipping, operator-approved after
(refund_reviews.py), and operator-approved before shipping too for a buyer who asks for
refunds unusually often (the refund-abuse risk rule)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound
from retail.common.models import ID_PATTERN, ORDER_ID, STRICT
from retail.risk import record_risk_event, refunds_before_erasure, risk_limit
from retail.store import Db

from .custody import refunds_asked_since
from .document import Order, orders_of
from .models import OrderView
from .parcel_refunds import (
    check_parcel,
    is_last_parcel,
    nothing_left,
    rest_never_left,
    start_parcel_refund,
)
from .parcel_states import WAITING, in_state
from .records import COMPLETED, REFUNDED, REFUNDING, SHIPPED, to_view
from .refunding import ask_for_review
from .take_back import Cashier, refund_unshipped_order

REFUND_ABUSE = "refund_abuse"  # the risk event that holds a request for review


class RequestRefund(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID
    reason: str = Field(min_length=1, max_length=80)
    merchant_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="only this merchant's parcel of an order with goods from several",
    )


def request_refund(
    cmd: RequestRefund, *, buyer: str, cashier: Cashier, db: Db | None = None
) -> OrderView:
    """Raises NotFound (not the caller's order) or Conflict (nothing paid to refund)."""
    db = db if db is not None else database()
    order = orders_of(db).find_one({"_id": cmd.order_id, "openid": buyer})
    if order is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    if cmd.merchant_id is not None and not is_last_parcel(order, cmd.merchant_id):
        answered = _request_parcel_refund(db, order, cmd.merchant_id, cmd.reason, buyer, cashier)
        if answered is not None:
            return to_view(answered)
        order = orders_of(db).find_one({"_id": cmd.order_id}) or order  # its last parcel now
    unshipped = nothing_left(order) or rest_never_left(order)
    held = unshipped and _refunds_look_abusive(db, buyer, order["_id"])
    if unshipped and not held:
        refunded = refund_unshipped_order(db, order, cmd.reason, cashier=cashier)
        if refunded is not None:
            return to_view(refunded)
        order = orders_of(db).find_one({"_id": cmd.order_id}) or order
    if order["status"] in (SHIPPED, COMPLETED) or order.get("parcels") or held:
        return to_view(ask_for_review(db, order, cmd.reason))
    if order["status"] in (REFUNDING, REFUNDED):
        return to_view(order)
    raise Conflict(
        f"an order in status {order['status']} has nothing to refund", status=order["status"]
    )


def _request_parcel_refund(
    db: Db, order: Order, merchant_id: str, reason: str, buyer: str, cashier: Cashier
) -> Order | None:
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
            condition=in_state(merchant_id, WAITING),
        )
        if started is not None:
            return cashier.refund_parcel(db, started, merchant_id)
        order = orders_of(db).find_one({"_id": order["_id"]}) or order
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
        REFUND_ABUSE,
        "hold",
        openid=buyer,
        order_id=order_id,
        refunds_in_30_days=recent,
    )
    return True
