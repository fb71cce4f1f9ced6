"""Timer: ask WeChat Pay about payments whose notification never came, and refunds that
have not finished; apply the answers exactly as the notifications would have."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from retail.common.batches import BatchRequest, BatchSummary, Budget
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import RetailError
from retail.common.logs import log
from retail.common.settings import settings
from retail.orders.records import CANCELLED, FAILED, PENDING_PAYMENT

from .client import wechatpay_client
from .config import wechatpay_config
from .notifications import apply_refund_result
from .refunds import PENDING, PROCESSING, send_refund
from .transactions import apply_transaction


def reconcile_payments(cmd: BatchRequest, *, budget: Budget, db: Any = None) -> BatchSummary:
    db = db if db is not None else database()
    now = utcnow()
    cutoff = now - timedelta(seconds=settings().RETAIL_RECONCILE_GRACE_SECONDS)
    summary = BatchSummary()
    unsettled = {
        "prepay_id": {"$exists": True},
        "payment_checked": {"$ne": True},
        "status": {"$in": [PENDING_PAYMENT, CANCELLED, FAILED]},
        "updated_at": {"$lte": cutoff},
    }
    for order in db.orders.find(unsettled, sort=[("updated_at", 1)], limit=cmd.batch_size):
        _count(summary, _check_payment(db, order, now, cutoff))
        if budget.exhausted():
            summary.stopped_early, summary.next_cursor = True, order["_id"]
            return summary
    open_refunds = {"status": {"$in": [PENDING, PROCESSING]}, "created_at": {"$lte": cutoff}}
    for refund in db.refunds.find(open_refunds, sort=[("created_at", 1)], limit=cmd.batch_size):
        _count(summary, _check_refund(db, refund))
        if budget.exhausted():
            summary.stopped_early, summary.next_cursor = True, refund["_id"]
            return summary
    return summary


def _count(summary: BatchSummary, outcome: str) -> None:
    if outcome == "failed":
        summary.failed += 1
    elif outcome == "unchanged":
        summary.skipped += 1
    else:
        summary.processed += 1


def _check_payment(db: Any, order: dict[str, Any], now: Any, cutoff: Any) -> str:
    try:
        tx = wechatpay_client().query_payment(order["out_trade_no"])
        if tx is not None and tx.get("trade_state") == "SUCCESS":
            outcome = apply_transaction(db, wechatpay_config(), tx)
            log("payment_reconciled", order_id=order["_id"], outcome=outcome)
            return outcome
    except RetailError as exc:
        log("payment_reconcile_failed", "WARNING", order_id=order["_id"], error=exc.code.value)
        return "failed"
    # WeChat Pay stops taking money at time_expire (our pay_deadline): after that, unpaid is final.
    if order["status"] != PENDING_PAYMENT and order["pay_deadline"] <= cutoff:
        db.orders.update_one({"_id": order["_id"]}, {"$set": {"payment_checked": True}})
    return "unchanged"


def _check_refund(db: Any, refund: dict[str, Any]) -> str:
    try:
        if refund["status"] == PENDING:
            return "sent" if send_refund(db, refund)["status"] != PENDING else "failed"
        result = wechatpay_client().query_refund(refund["_id"])
    except RetailError:
        return "failed"
    if result is None:
        return "unchanged"
    outcome = apply_refund_result(db, {**result, "out_refund_no": refund["_id"]})
    return "unchanged" if outcome == "pending" else outcome
