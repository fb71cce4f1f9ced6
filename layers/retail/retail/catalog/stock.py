"""Reading stock levels for display (changes happen only in the inventory domain)."""

from __future__ import annotations

from retail.inventory import CENTRAL, PRESALE, bucket_count
from retail.store import Db

__all__ = ["CENTRAL", "PRESALE", "available_by_sku", "bucket_count", "levels_by_sku"]


def available_by_sku(db: Db, sku_ids: list[str]) -> dict[str, int]:
    """Units available now per SKU, summed over the warehouse and every store."""
    if not sku_ids:
        return {}
    totals: dict[str, int] = {}
    for level in db.stock.find({"sku_id": {"$in": sku_ids}}, {"sku_id": 1, "available": 1}):
        totals[level["sku_id"]] = totals.get(level["sku_id"], 0) + level["available"]
    return totals


def levels_by_sku(db: Db, sku_ids: list[str]) -> dict[str, dict[str, int]]:
    """{sku_id: {location: available}} where location is "central" or a store_id."""
    levels: dict[str, dict[str, int]] = {sku: {} for sku in sku_ids}
    for level in db.stock.find({"sku_id": {"$in": sku_ids}}):
        at = levels[level["sku_id"]]  # a level split into buckets is the sum of its documents
        at[level["location"]] = at.get(level["location"], 0) + level["available"]
    return levels
