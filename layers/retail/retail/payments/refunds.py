"""Refunds: one deterministic out_refund_no per cause, recorded before WeChat Pay is asked,
so no refund is ever sent twice; results arrive on refund_notify or through reconciliation."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.orders.refunding import note_refund_status

from .connect import wechatpay_client

PENDING, PROCESSING = "PENDING", "PROCESSING"
FINAL = ("SUCCESS", "CLOSED", "ABNORMAL")


def order_refund_no(order_id: str) -> str:
    """The refund of an order the buyer gets back (request, or sold out after paying late)."""
    return f"R{order_id}"


def transaction_refund_no(transaction_id: str) -> str:
    """The refund of a payment we never accepted (wrong amount, paid twice)."""
    return f"T{transaction_id}"


def start_refund(
    db: Any,
    *,
    out_refund_no: str,
    order: dict[str, Any],
    transaction_id: str,
    amount: int,
    total: int,
    reason: str,
) -> dict[str, Any]:
    """Record the refund (once), then ask WeChat Pay (idempotent there by out_refund_no).

    A failed call leaves the record PENDING for payment_reconcile to send again.
    """
    now = utcnow()
    record: dict[str, Any] | None = None
    try:
        record = db.refunds.find_one_and_update(
            {"_id": out_refund_no},
            {
                "$setOnInsert": {
                    "order_id": order["_id"],
                    "out_trade_no": order["out_trade_no"],
                    "transaction_id": transaction_id,
                    "amount": amount,
                    "total": total,
                    "reason": reason,
                    "status": PENDING,
                    "created_at": now,
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:  # a concurrent start inserted it
        record = db.refunds.find_one({"_id": out_refund_no})
    assert record is not None
    if record["status"] == PENDING:
        record = send_refund(db, record)
    return record


def refund_order(
    db: Any, order: dict[str, Any], *, transaction_id: str, amount: int, total: int, reason: str
) -> dict[str, Any]:
    """Give the buyer `amount` of the payment `total` back (WeChat Pay checks `total` against
    the transaction: it is what was paid, not what is refunded); the order shows the refund
    as PROCESSING until refund_notify or reconciliation reports how it ended."""
    start_refund(
        db,
        out_refund_no=order_refund_no(order["_id"]),
        order=order,
        transaction_id=transaction_id,
        amount=amount,
        total=total,
        reason=reason,
    )
    return note_refund_status(db, order["_id"], PROCESSING) or order


def send_refund(db: Any, record: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = wechatpay_client().refund(
            out_trade_no=record["out_trade_no"],
            out_refund_no=record["_id"],
            refund=record["amount"],
            total=record["total"],
            reason=record["reason"],
        )
    except UpstreamUnavailable:
        log("refund_send_failed", "WARNING", out_refund_no=record["_id"])
        return record
    log("refund_sent", out_refund_no=record["_id"], amount=record["amount"])
    sent: dict[str, Any] | None = db.refunds.find_one_and_update(
        {"_id": record["_id"], "status": PENDING},
        {
            "$set": {
                "status": answer.get("status", PROCESSING),
                "refund_id": answer.get("refund_id"),
                "sent_at": utcnow(),
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    return sent or db.refunds.find_one({"_id": record["_id"]}) or record
