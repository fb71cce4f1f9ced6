"""Timer: cancel unpaid orders past their payment deadline and give their stock back.

Resumable and idempotent: WeChat Pay is closed first, then each order moves
PENDING_PAYMENT -> CANCELLED by a conditional update, so a second run (or a concurrent one,
or a late payment) finds nothing to redo. An order whose transaction could not be closed
(WeChat Pay unreachable) is left for the next run.
"""

from __future__ import annotations

from retail.common.batches import BatchRequest, BatchSummary, Budget, Outcome, run_batches
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import UpstreamUnavailable
from retail.store import Db, majority_reads

from .cancel import PaymentCloser, cancel_unpaid
from .document import Order, orders_of
from .records import PENDING_PAYMENT


def expire_unpaid_orders(
    cmd: BatchRequest, *, budget: Budget, close_payment: PaymentCloser, db: Db | None = None
) -> BatchSummary:
    db = majority_reads(db if db is not None else database())  # acts on WeChat Pay
    now = utcnow()
    overdue = {"status": PENDING_PAYMENT, "pay_deadline": {"$lte": now}}
    left: list[str] = []  # not cancelled in this run: kept out of the next fetch

    def fetch(limit: int) -> list[Order]:
        query = {**overdue, "_id": {"$nin": left}} if left else overdue
        return list(orders_of(db).find(query, sort=[("pay_deadline", 1), ("_id", 1)], limit=limit))

    def expire(order: Order) -> Outcome:
        try:
            cancelled = cancel_unpaid(
                db,
                order,
                "payment deadline passed",
                close_payment=close_payment,
                condition={"pay_deadline": {"$lte": now}},
            )
        except UpstreamUnavailable:
            left.append(order["_id"])
            return "failed"
        if cancelled is None:
            left.append(order["_id"])  # paid meanwhile, or its payment was refused
            return "skipped"
        return "processed" if cancelled.get("stock_settled") else "failed"

    return run_batches(cmd, budget, fetch, expire, BatchSummary())
