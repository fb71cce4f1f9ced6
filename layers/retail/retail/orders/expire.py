"""Timer: cancel unpaid orders past their payment deadline and give their stock back.

Resumable and idempotent: each order moves PENDING_PAYMENT -> CANCELLED by a conditional
update, so a second run (or a concurrent one, or a late payment) finds nothing to redo.
"""

from __future__ import annotations

from typing import Any

from retail.common.batches import BatchRequest, BatchSummary, Budget, Outcome, run_batches
from retail.common.clock import utcnow
from retail.common.database import database

from .lifecycle import settle_stock, transition
from .records import CANCELLED, PENDING_PAYMENT


def expire_unpaid_orders(cmd: BatchRequest, *, budget: Budget, db: Any = None) -> BatchSummary:
    db = db if db is not None else database()
    now = utcnow()
    overdue = {"status": PENDING_PAYMENT, "pay_deadline": {"$lte": now}}

    def fetch(limit: int) -> list[dict[str, Any]]:
        return list(
            db.orders.find(overdue, {"_id": 1}, sort=[("pay_deadline", 1), ("_id", 1)], limit=limit)
        )

    def expire(ref: dict[str, Any]) -> Outcome:
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
            return "skipped"
        return "processed" if settle_stock(db, cancelled).get("stock_settled") else "failed"

    return run_batches(cmd, budget, fetch, expire, BatchSummary())
