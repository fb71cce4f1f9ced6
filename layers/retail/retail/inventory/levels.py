"""Where stock lives: one document per SKU and location."""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from retail.common.vocabulary import FROM_A_STORE
from retail.store import Db

CENTRAL = "central"  # the warehouse; a store's stock sits at its store_id
PRESALE = "presale"  # a presale product's quota, sold before the goods exist
MAX_RETRIES = 5


def level_id(sku_id: str, location: str, bucket: int = 0) -> str:
    """A stock document's id: the level's own (bucket 0), or one of its buckets (buckets.py)."""
    return f"{sku_id}@{location}" if bucket == 0 else f"{sku_id}@{location}#{bucket}"


def bucket_of(level: str) -> int:
    """The bucket a stock document's id names (level_id's inverse for the bucket)."""
    _, _, bucket = level.partition("#")
    return int(bucket or 0)


def stock_location(delivery: str, store_id: str | None, presale: bool) -> str:
    """Where an order line takes its stock, for order_place, order_preview and the cart alike:
    a presale product its quota; pickup and instant the fulfilling store; the rest the
    warehouse."""
    if presale:
        return PRESALE
    if delivery in FROM_A_STORE and store_id:
        return store_id
    return CENTRAL


def available_at(db: Db, wanted: dict[str, str]) -> dict[str, int]:
    """{sku_id: units available now at its location} for `wanted` = {sku_id: location}; a
    level split into buckets (buckets.py) adds theirs, in one more read for those alone."""
    if not wanted:
        return {}
    ids = {sku: level_id(sku, location) for sku, location in wanted.items()}
    projection = {"available": 1, "bucket_docs": 1}
    found = {d["_id"]: d for d in db.stock.find({"_id": {"$in": list(ids.values())}}, projection)}
    buckets = {
        level_id(sku, location, b): sku
        for sku, location in wanted.items()
        for b in range(1, int(found.get(ids[sku], {}).get("bucket_docs", 1)))
    }
    available = {sku: int(found.get(ids[sku], {}).get("available", 0)) for sku in wanted}
    if buckets:
        for doc in db.stock.find({"_id": {"$in": list(buckets)}}, {"available": 1}):
            available[buckets[doc["_id"]]] += doc["available"]
    return available


def write_off_available(db: Db, sku_id: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Write off what a SKU still has available at each location (a SKU taken off its
    product), each level by one update conditional on the count it read (what orders hold
    stays with them); returns
    (level id, before, after) of each level written off, for the audit log."""
    done = []
    for level in db.stock.find({"sku_id": sku_id, "available": {"$gt": 0}}, {"ops": 0}):
        for _ in range(MAX_RETRIES):
            count = level["available"]
            after = db.stock.find_one_and_update(
                {"_id": level["_id"], "available": count},
                {"$inc": {"available": -count, "adjusted": count}},
                projection={"ops": 0},
                return_document=ReturnDocument.AFTER,
            )
            if after is not None:
                done.append((level["_id"], level, after))
                break
            again = db.stock.find_one({"_id": level["_id"]}, {"ops": 0})
            if again is None or again["available"] <= 0:
                break
            level = again
    return done
