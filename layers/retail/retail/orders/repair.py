"""Timer: finish or undo orders a crashed function left half done.

- An order still RESERVING after the grace period: if every line holds its stock (the stock
  markers say so) it opens for payment; otherwise the held lines go back and it FAILS.
- An order whose status changed but whose stock did not follow (`stock_settled: false`):
  its stock moves are made now; payment side effects left in its outbox are applied; a
  SHIPPED order whose last waiting parcel went back starts auto-confirmation.
Only orders untouched for the grace period are taken (30 s: longer than order_place, the one
function that leaves an order RESERVING, may run; every other piece of work is conditional
and marked, so finishing it twice does it once), and each is claimed by a conditional update,
so repair runs safely beside itself and beside live traffic. Run every minute, it finishes
what an interrupted call left within about a minute and a half.
"""

from __future__ import annotations

from datetime import timedelta

from retail.common.batches import BatchRequest, BatchSummary, Budget, Outcome, run_batches
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.settings import settings
from retail.store import Db

from .document import Order, orders_of
from .effects import apply_outbox
from .lifecycle import settle_stock
from .parcels import mark_all_out
from .records import RESERVING
from .reserving import UNFINISHED, claim_unfinished, finish_reserving


def repair_orders(cmd: BatchRequest, *, budget: Budget, db: Db | None = None) -> BatchSummary:
    db = db if db is not None else database()
    cutoff = utcnow() - timedelta(seconds=settings().RETAIL_REPAIR_GRACE_SECONDS)
    stale = {"$or": UNFINISHED, "updated_at": {"$lte": cutoff}}

    def fetch(limit: int) -> list[Order]:
        return list(orders_of(db).find(stale, sort=[("updated_at", 1), ("_id", 1)], limit=limit))

    def repair(order: Order) -> Outcome:
        claimed = claim_unfinished(db, order)
        if claimed is None:
            return "skipped"
        return "processed" if _repair(db, claimed) else "failed"

    return run_batches(cmd, budget, fetch, repair, BatchSummary())


def _repair(db: Db, order: Order) -> bool:
    if order["status"] != RESERVING:
        settled = settle_stock(db, order) if not order.get("stock_settled") else order
        apply_outbox(db, settled)
        current = orders_of(db).find_one({"_id": order["_id"]}) or settled
        settled = mark_all_out(db, current, utcnow())  # a waiting parcel went back, then a crash
        return bool(settled.get("stock_settled"))
    return finish_reserving(db, order)
