"""Timer: ask WeChat Pay about payments whose notification never came, and refunds that
have not finished; apply the answers exactly as the notifications would have.

Orders and refunds each have their own forward cursor (common.batches.ForwardCursor) and go
through the shared batch runner, so `batch_size` and `max_batches` bound a run and every
unsettled order is reached in turn, however many older ones stay unpaid.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from retail.common.batches import (
    BatchRequest,
    BatchSummary,
    Budget,
    ForwardCursor,
    Outcome,
    run_batches,
)
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import RetailError
from retail.common.logs import log
from retail.common.settings import settings
from retail.orders.document import Order
from retail.orders.payment import mark_payment_checked
from retail.orders.records import CANCELLED, FAILED, PENDING_PAYMENT, REFUNDING
from retail.store import Db, Documents, majority_reads

from .config import wechatpay_config
from .notifications import apply_refund_result
from .refunds import (
    ABNORMAL,
    FINAL,
    PENDING,
    PROCESSING,
    finish_order_refund,
    query_refund,
    refund_parcel,
    refund_whole_order,
    send_refund,
)
from .transactions import apply_transaction, query_transaction


def reconcile_payments(cmd: BatchRequest, *, budget: Budget, db: Db | None = None) -> BatchSummary:
    db = majority_reads(db if db is not None else database())  # acts on WeChat Pay
    cutoff = utcnow() - timedelta(seconds=settings().RETAIL_RECONCILE_GRACE_SECONDS)
    summary = BatchSummary()
    for job, collection, query, check in _sweeps(db, cutoff):
        summary = _sweep(db, job, collection, query, cmd, budget, summary, check)
        if budget.exhausted():
            break
    return summary


def _sweeps(db: Db, cutoff: datetime) -> list[tuple[str, Any, dict[str, Any], Any]]:
    """(cursor name, collection, what is still to do, how to check one) for each sweep."""
    # Each sweep reads a to-do set a partial index holds (infra/indexes.json): prepaid orders
    # whose payment is not known, refunds whose order has not followed, owed parcels.
    unpaid = {
        "payment_checked": False,
        "status": {"$in": [PENDING_PAYMENT, CANCELLED, FAILED]},
        "updated_at": {"$lte": cutoff},
    }
    unfinished = {
        "order_done": False,
        "$or": [
            {"status": {"$in": [PENDING, PROCESSING, ABNORMAL]}, "created_at": {"$lte": cutoff}},
            {"status": {"$in": list(FINAL)}},
        ],
    }
    # A crash between REFUNDING and recording its refund left an order owed its money.
    owed = {
        "status": REFUNDING,
        "refund_status": {"$exists": False},
        "updated_at": {"$lte": cutoff},
    }
    parcels = {"parcels_owed.0": {"$exists": True}, "updated_at": {"$lte": cutoff}}
    return [
        ("payment_reconcile:orders", db.orders, unpaid, lambda o: _check_payment(db, o, cutoff)),
        ("payment_reconcile:refunds", db.refunds, unfinished, lambda r: _check_refund(db, r)),
        ("payment_reconcile:refunding", db.orders, owed, lambda o: _start_owed_refund(db, o)),
        ("payment_reconcile:parcels", db.orders, parcels, lambda o: _send_owed_parcels(db, o)),
    ]


def _sweep(
    db: Db,
    job: str,
    collection: Documents,
    query: dict[str, Any],
    cmd: BatchRequest,
    budget: Budget,
    summary: BatchSummary,
    check: Any,
) -> BatchSummary:
    cursor = ForwardCursor(db, job)

    def handle(item: dict[str, Any]) -> Outcome:
        outcome: Outcome = check(item)
        cursor.passed(item["_id"])
        return outcome

    return run_batches(
        cmd, budget, lambda limit: cursor.fetch(collection, query, limit), handle, summary
    )


def _check_payment(db: Db, order: Order, cutoff: datetime) -> Outcome:
    try:
        tx = query_transaction(order)
        if tx is not None and tx.get("trade_state") in ("SUCCESS", "PARTIAL"):
            outcome = apply_transaction(db, wechatpay_config(), tx)
            log("payment_reconciled", order_id=order["_id"], outcome=outcome)
            if outcome != "paid":  # paid late, twice or wrongly: given back, settled either way
                mark_payment_checked(db, order["_id"])
            return "processed"
    except RetailError as exc:
        log("payment_reconcile_failed", "WARNING", order_id=order["_id"], error=exc.code.value)
        return "failed"
    # WeChat Pay stops taking money at time_expire (our pay_deadline): after that, unpaid is final.
    deadline = order.get("pay_deadline")
    if order["status"] != PENDING_PAYMENT and (deadline is None or deadline <= cutoff):
        mark_payment_checked(db, order["_id"])
    return "skipped"


def _start_owed_refund(db: Db, order: Order) -> Outcome:
    started = refund_whole_order(db, order)
    return "processed" if started.get("refund_status") else "failed"


def _send_owed_parcels(db: Db, order: Order) -> Outcome:
    """A crash between a parcel's refund on the order and its refund record (refund_parcel
    applies the effects the crash left first: they decide the amount)."""
    for merchant_id in order["parcels_owed"]:
        order = refund_parcel(db, order, merchant_id)
    return "processed"


def _check_refund(db: Db, refund: dict[str, Any]) -> Outcome:
    if refund["status"] in FINAL:  # final, but a crash stopped the order from following
        return "processed" if finish_order_refund(db, refund) else "skipped"
    try:
        if refund["status"] == PENDING:
            return "processed" if send_refund(db, refund)["status"] != PENDING else "failed"
        result = query_refund(refund)
    except RetailError:
        return "failed"
    if result is None:
        return "skipped"
    outcome = apply_refund_result(db, {**result, "out_refund_no": refund["_id"]})
    return "skipped" if outcome == "pending" else "processed"
