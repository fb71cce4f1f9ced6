"""The operator's and the timer's side of stock buckets (buckets.py): an operator splits a
level before a flash sale (and joins it again after), audited; stock_rebalance, every minute,
finishes the transfers that stopped half way and evens out the buckets of every level ever
split (a joined level too: what its orders held comes back into its buckets), going on each
run where the last one stopped."""

from __future__ import annotations

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.batches import BatchRequest, BatchSummary, Budget, ForwardCursor
from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.models import ID, OUT, STRICT
from retail.common.operator import Operator
from retail.store import Db

from .adjustments import LOCATION
from .buckets import MAX_BUCKETS, finish_transfers, rebalance, split_level
from .levels import level_id


class SplitStock(BaseModel):
    model_config = STRICT
    sku_id: str = ID
    location: str = LOCATION
    buckets: int = Field(
        ge=1,
        le=MAX_BUCKETS,
        description="documents the level takes orders from: about one per 1,000 orders a "
        "second expected on the SKU; 1 joins a split level again",
    )


class StockSplit(BaseModel):
    model_config = OUT
    sku_id: str
    location: str
    buckets: int
    available: list[int] = Field(description="units available in each bucket, the level's first")


def split_stock(cmd: SplitStock, *, operator: Operator, db: Db | None = None) -> StockSplit:
    """Raises NotFound for a SKU the operator does not manage or a level that holds nothing."""
    db = db if db is not None else database()
    sku = db.skus.find_one({"_id": cmd.sku_id}, {"merchant_id": 1})
    if sku is None or not operator.manages(sku["merchant_id"]):
        raise NotFound(f"no SKU {cmd.sku_id!r}")
    home = level_id(cmd.sku_id, cmd.location)
    before = db.stock.find_one({"_id": home}, {"ops": 0})
    if before is None:
        raise NotFound(f"no stock of {cmd.sku_id!r} at {cmd.location!r}")
    spread = split_level(db, cmd.sku_id, cmd.location, cmd.buckets)
    after = db.stock.find_one({"_id": home}, {"ops": 0})
    record_audit(db, operator, f"stock_split: {cmd.buckets} buckets", home, before, after)
    return StockSplit(
        sku_id=cmd.sku_id,
        location=cmd.location,
        buckets=cmd.buckets,
        available=list(spread.values()),
    )


def rebalance_split_levels(
    cmd: BatchRequest, *, budget: Budget, db: Db | None = None
) -> BatchSummary:
    """Finish the stopped transfers, then even out each split level (processed: levels
    looked at; skipped: transfers finished)."""
    db = db if db is not None else database()
    summary = BatchSummary(skipped=finish_transfers(db, limit=cmd.batch_size))
    cursor = ForwardCursor(db, "stock_rebalance")  # every split level in turn, run after run
    for _ in range(cmd.max_batches):
        levels = cursor.fetch(db.stock, {"bucket_docs": {"$exists": True}}, cmd.batch_size)
        if not levels:
            return summary
        for level in levels:
            rebalance(db, level["sku_id"], level["location"])
            cursor.passed(level["_id"])
            summary.processed += 1
            if budget.exhausted():
                summary.stopped_early, summary.next_cursor = True, str(level["_id"])
                return summary
    return summary
