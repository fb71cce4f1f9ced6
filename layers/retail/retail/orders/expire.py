"""Timer: cancel unpaid orders past their payment deadline and give their stock back.

Resumable and idempotent: each order moves PENDING_PAYMENT -> CANCELLED by a conditional
update, so a second run (or a concurrent one, or a late payment) finds nothing to redo.
"""

from __future__ import annotations

from typing import Any

from retail.common.batches import BatchRequest, BatchSummary, Budget
from retail.common.clock import utcnow
from retail.common.database import database

from .lifecycle import settle_stock, transition
from .records import CANCELLED, PENDING_PAYMENT


def expire_unpaid_orders(cmd: BatchRequest, *, budget: Budget, db: Any = None) -> BatchSummary:
    db = db if db is not None else database()
    now = utcnow()
    summary = BatchSummary()
    overdue = {"status": PENDING_PAYMENT, "pay_deadline": {"$lte": now}}
    for _ in range(cmd.max_batches):
        batch = list(
            db.orders.find(
                overdue, {"_id": 1}, sort=[("pay_deadline", 1), ("_id", 1)], limit=cmd.batch_size
            )
        )
        if not batch:
            return summary
        for ref in batch:
            cancelled = transition(
                db,
                ref["_id"],
                PENDING_PAYMENT,
                CANCELLED,
                "payment deadline passed",
                condition={"pay_deadline": {"$lte": now}},
                now=now,
            )
            if cancelled is None:
                summary.skipped += 1
                continue
            settled = settle_stock(db, cancelled)
            summary.processed += 1
            summary.failed += 0 if settled.get("stock_settled") else 1
            if budget.exhausted():
                summary.stopped_early = True
                summary.next_cursor = ref["_id"]
                return summary
    summary.stopped_early = True
    return summary
