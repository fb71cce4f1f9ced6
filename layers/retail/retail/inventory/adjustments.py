"""Stock received (+) or written off (-) by an operator, one conditional update each, audited
with the level before and after; a merchant adjusts only its own SKUs."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pymongo import ReturnDocument

from retail.common.audit import record_audit
from retail.common.database import database
from retail.common.errors import Conflict, NotFound
from retail.common.models import ID, OUT, STRICT
from retail.common.operator import Operator
from retail.store import Db

LOCATION = Field(pattern=r"^(central|presale|[A-Za-z0-9_-]+)$", max_length=64)


class AdjustStock(BaseModel):
    model_config = STRICT
    sku_id: str = ID
    location: str = LOCATION
    delta: int = Field(ge=-1_000_000, le=1_000_000, description="+ received, - written off")
    reason: str = Field(min_length=1, max_length=100)


class StockLevel(BaseModel):
    model_config = OUT
    sku_id: str
    location: str
    available: int
    reserved: int
    sold: int
    received: int
    adjusted: int


def adjust_stock(cmd: AdjustStock, *, operator: Operator, db: Db | None = None) -> StockLevel:
    """Receive (+) or write off (-) stock. Raises NotFound, Forbidden or Conflict."""
    db = db if db is not None else database()
    sku = db.skus.find_one({"_id": cmd.sku_id})
    if sku is None or not operator.manages(sku["merchant_id"]):
        raise NotFound(f"no SKU {cmd.sku_id!r}")
    if cmd.delta == 0:
        raise Conflict("a stock adjustment moves at least one unit")
    level_id = f"{cmd.sku_id}@{cmd.location}"
    before = db.stock.find_one({"_id": level_id})
    if cmd.delta > 0:
        after = db.stock.find_one_and_update(
            {"_id": level_id},
            {
                "$inc": {"available": cmd.delta, "received": cmd.delta},
                "$setOnInsert": {
                    "sku_id": cmd.sku_id,
                    "location": cmd.location,
                    "reserved": 0,
                    "sold": 0,
                    "adjusted": 0,
                },
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    else:
        after = db.stock.find_one_and_update(
            {"_id": level_id, "available": {"$gte": -cmd.delta}},
            {"$inc": {"available": cmd.delta, "adjusted": -cmd.delta}},
            return_document=ReturnDocument.AFTER,
        )
        if after is None:
            raise Conflict(f"only {(before or {}).get('available', 0)} available to write off")
    if cmd.delta > 0:  # units came in: the level is no longer known to be sold out
        db.skus.update_one(
            {"_id": cmd.sku_id}, {"$unset": {f"stock_split.sold_out.{cmd.location}": ""}}
        )
    record_audit(db, operator, f"stock_adjust: {cmd.reason}", level_id, before, after)
    return StockLevel.model_validate(after)
