"""An order's money going back: the order side of a refund, which only the orders package
writes. The refund record itself (out_refund_no, WeChat Pay's answer) is the payments
package's; these functions are what it asks of the order."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from retail.common.clock import utcnow
from retail.common.vocabulary import OrderStatus, RefundStatus
from retail.common.vocabulary import RefundRequestStatus as R
from retail.store import Db

from .document import Order, orders_of
from .effects import apply_outbox
from .lifecycle import transition
from .notices import notify_refund
from .records import REFUNDED, REFUNDING, parcels_refunded, settling

SUCCESS, PROCESSING, ABNORMAL = RefundStatus.SUCCESS, RefundStatus.PROCESSING, RefundStatus.ABNORMAL


def start_refunding(
    db: Db,
    order_id: str,
    expected: OrderStatus | list[OrderStatus],
    note: str,
    extra: dict[str, Any],
    condition: dict[str, Any] | None = None,
) -> Order | None:
    """expected -> REFUNDING with its effects (stock, coupon, points, commission) applied;
    None if the order was not in an expected status."""
    return transition(db, order_id, expected, REFUNDING, note, extra=extra, condition=condition)


def noted_over(status: str) -> dict[str, Any]:
    """What a refund's status on the order may replace: never SUCCESS; PROCESSING only a
    CLOSED refund asked again (never a result that came before our own note of sending)."""
    if status == PROCESSING:
        return {"$nin": [PROCESSING, ABNORMAL, SUCCESS]}
    return {"$ne": SUCCESS}


def note_refund_status(db: Db, order_id: str, status: str) -> Order | None:
    """What the buyer sees of the refund of the order (PROCESSING, SUCCESS, CLOSED, ABNORMAL)."""
    noted: Order | None = orders_of(db).find_one_and_update(
        {"_id": order_id, "refund_status": noted_over(status)},
        {"$set": {"refund_status": status}},
        return_document=ReturnDocument.AFTER,
    )
    return noted or orders_of(db).find_one({"_id": order_id})  # a later word stands


def finish_refund(db: Db, order_id: str, status: str) -> None:
    """WeChat Pay's word on the order's refund: REFUNDING -> REFUNDED when it succeeded.
    Safe to repeat: a crash after the refund record went final is finished by a replay."""
    if status == SUCCESS:
        done = transition(
            db,
            order_id,
            REFUNDING,
            REFUNDED,
            "refund received",
            extra=settling("refunded_at", utcnow()),
        )
        if done is not None:
            notify_refund(db, done, order_id, refundable(done), "退款成功")
    note_refund_status(db, order_id, status)


def effects_applied(db: Db, order_id: str) -> Order:
    """The order with every effect its outbox still owes applied (a crash may have left
    one for order_repair): what a refund gives back depends on them (points shortfall)."""
    order: Order = orders_of(db).find_one({"_id": order_id}) or {}
    if order.get("outbox"):
        apply_outbox(db, order)
        order = orders_of(db).find_one({"_id": order_id}) or order
    return order


def refundable(order: Order) -> int:
    """What the buyer gets back: the payment, less the value of points the order earned that
    the buyer has already spent (docs/decisions/0011: points never go negative) and less
    what its parcels' refunds gave back (orders.parcel_refunds)."""
    paid = int(order.get("paid_amount", order["total"])) - parcels_refunded(order)
    return max(paid - int(order.get("points_shortfall", 0)), 0)


def ask_for_review(db: Db, order: Order, reason: str, merchant_id: str | None = None) -> Order:
    """A refund that waits for an operator (after shipping, or held by the abuse rule); one
    request at a time, of the whole order or of one merchant's parcel (`merchant_id`)."""
    request: dict[str, Any] = {"status": R.REQUESTED, "reason": reason, "at": utcnow()}
    if merchant_id is not None:
        request["merchant_id"] = merchant_id
    orders_of(db).update_one(
        {
            "_id": order["_id"],
            "status": order["status"],
            "refund_request.status": {"$nin": [R.REQUESTED, R.APPROVED]},
        },
        {"$set": {"refund_request": request}},
    )
    current: Order = orders_of(db).find_one({"_id": order["_id"]}) or order
    return current


def reject_review(db: Db, order_id: str, note: str | None, operator_id: str) -> bool:
    """The request waiting for review is rejected; False if none was waiting."""
    rejected = orders_of(db).update_one(
        {"_id": order_id, "refund_request.status": R.REQUESTED},
        {
            "$set": {
                "refund_request.status": R.REJECTED,
                "refund_request.note": note,
                "refund_request.reviewed_by": operator_id,
            }
        },
    )
    return bool(rejected.modified_count)
