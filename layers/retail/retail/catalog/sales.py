"""Units sold per product, counted off the product document.

A product's counter used to take two writes per paid order (the units, then the marker that
made them count once): in a flash sale every order wrote the one product document (issue 32
§5). A payment now counts its units into one of SHARDS small documents per product
(`product_sales`, `<product_id>#<shard>`, the shard a hash of the order id names), exactly
once by the same marker pattern; the rollup (analytics_rollup) then sets each product whose
shards changed to `sales_base + the shards' units`, a value, not an increment, and never
lowers it (`$max`: units sold only grow), so running it twice or at once changes nothing.
`sales_base` is what the product had counted before its shards existed (the counter this
replaced), taken once. Upgrading: an order whose payment the old code counted on the product
and whose outbox it had not cleared when it died would be counted again by the shards; let
order_repair empty the outboxes (it answers `processed: 0`) before the new code runs, as
README's upgrade note says; the first total logs `product_sales_old_markers` if any are left.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from retail.common.logs import log
from retail.store import Db, upsert_where

SHARDS = 16
COUNTED = "sales"  # the marker a counted order leaves on its shard until its outbox is done


def shard_of(order_id: str, product_id: str) -> str:
    return f"{product_id}#{zlib.crc32(order_id.encode()) % SHARDS}"


def count_sale(db: Db, order_id: str, units: Mapping[str, int]) -> None:
    """Count the order's units per product, once however often it is repeated while its
    markers stand."""
    marker = f"ops.{order_id}"
    for product_id, qty in units.items():
        upsert_where(
            db.product_sales,
            {"_id": shard_of(order_id, product_id), marker: {"$ne": COUNTED}},
            {
                "$inc": {"units": qty},
                "$set": {marker: COUNTED, "changed": True},
                "$setOnInsert": {"product_id": product_id},
            },
        )


def forget_counted(db: Db, order_id: str, product_ids: list[str]) -> None:
    """Clear the order's markers once its outbox no longer holds the count."""
    for product_id in product_ids:
        db.product_sales.update_one(
            {"_id": shard_of(order_id, product_id)}, {"$unset": {f"ops.{order_id}": ""}}
        )


def total_sales(db: Db, limit: int = 1000) -> int:
    """Set each product whose shards changed to what they count; returns how many. A shard
    is unmarked only after the product is written, and only if it still counts what was
    read: a run that dies in between leaves it marked, and a sale counted meanwhile keeps it
    marked, so the next run sets the product again and none is left out."""
    changed = db.product_sales.find({"changed": True}, {"product_id": 1}, limit=limit)
    products = sorted({doc["product_id"] for doc in changed})
    for product_id in products:
        shards = list(db.product_sales.find({"product_id": product_id}, {"units": 1, "changed": 1}))
        product = db.products.find_one({"_id": product_id}, {"sales": 1, "sales_base": 1, "ops": 1})
        if product is None:
            continue
        if "sales_base" not in product:  # the first total: what the old counter had
            old = [key for key, mark in (product.get("ops") or {}).items() if mark == COUNTED]
            if old:
                log("product_sales_old_markers", "WARNING", product_id=product_id, orders=old)
            db.products.update_one(
                {"_id": product_id, "sales_base": {"$exists": False}},
                {"$set": {"sales_base": product.get("sales", 0)}},
            )
            product = db.products.find_one({"_id": product_id}, {"sales_base": 1}) or {}
        total = int(product.get("sales_base", 0)) + sum(d["units"] for d in shards)
        # $max: units only ever grow, so a stale run cannot lower what a later one set
        db.products.update_one({"_id": product_id}, {"$max": {"sales": total}})
        for shard in shards:
            if shard.get("changed"):
                db.product_sales.update_one(
                    {"_id": shard["_id"], "units": shard["units"], "changed": True},
                    {"$unset": {"changed": ""}},
                )
    return len(products)
