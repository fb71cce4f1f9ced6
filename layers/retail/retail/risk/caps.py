"""Purchase limits (限购) on flash-sale SKUs: units per buyer, per device and per delivery
address, across all of their live orders.

Each cap is one document per (SKU, signal) holding `units` and the orders that hold them (the
buyer by pseudonym, so a cap outlives the buyer's erasure and a new account of the same WeChat
user finds it);
taking is one conditional update (`units` leaves room and the order is not yet in), giving
back removes the order's units once. Cancelled, failed and restocked orders give theirs
back, so a buyer who cancels may buy again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from retail.common.pseudonyms import pseudonym
from retail.store import Db, upsert_where

CAPPED_MARKS = ("device:", "address:")  # and always the buyer


def purchase_limits(db: Db, sku_ids: list[str]) -> dict[str, int]:
    """The purchase limit of each of these SKUs that has one (the flash-sale goods)."""
    return limits_of(
        db.skus.find(
            {"_id": {"$in": sorted(set(sku_ids))}, "limit_per_buyer": {"$gt": 0}},
            {"limit_per_buyer": 1},
        )
    )


def limits_of(skus: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The purchase limits among these SKU documents (one read already made serves): the
    positive whole numbers, as the query's `$gt: 0` finds them."""
    found = {}
    for doc in skus:
        limit = doc.get("limit_per_buyer")
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            found[doc["_id"]] = limit
    return found


def _caps_for(
    db: Db, order: Mapping[str, Any], limits: dict[str, int] | None = None
) -> list[tuple[str, int, int]]:
    """(cap id, units, limit) for each capped line of the order and signal it carries."""
    units: dict[str, int] = {}
    for line in order["lines"]:
        units[line["sku_id"]] = units.get(line["sku_id"], 0) + line["qty"]
    if limits is None:
        limits = purchase_limits(db, list(units))
    marks = [f"buyer:{pseudonym(order['openid'])}"] + [
        mark for mark in order.get("risk_marks") or [] if mark.startswith(CAPPED_MARKS)
    ]
    return [
        (f"{sku_id}:{mark}", units[sku_id], limit)
        for sku_id, limit in sorted(limits.items())
        if sku_id in units
        for mark in marks
    ]


def take_caps(db: Db, order: Mapping[str, Any], limits: dict[str, int]) -> str | None:
    """Count the order against every cap (`limits` from purchase_limits); None if it fits,
    else the SKU over its limit (and whatever the order took is given back)."""
    for cap_id, units, limit in _caps_for(db, order, limits):
        if units > limit or not take_cap(db, cap_id, order["_id"], units, limit):
            release_caps(db, order)
            return cap_id.split(":", 1)[0]
    return None


def take_cap(db: Db, cap_id: str, order_id: str, units: int, limit: int) -> bool:
    """Count the order's `units` against one cap, once; False if they do not fit."""
    held = f"orders.{order_id}"
    taken = upsert_where(
        db.purchase_caps,
        {"_id": cap_id, "units": {"$lte": limit - units}, held: {"$exists": False}},
        {"$inc": {"units": units}, "$set": {held: units}},
    )
    if taken is None:  # the cap is full, or this order already holds its units
        return db.purchase_caps.find_one({"_id": cap_id, held: {"$exists": True}}) is not None
    return True


def release_caps(db: Db, order: Mapping[str, Any]) -> None:
    """Give back whatever the order holds; safe to repeat."""
    for cap_id, units, _ in _caps_for(db, order):
        held = f"orders.{order['_id']}"
        db.purchase_caps.update_one(
            {"_id": cap_id, held: units},
            {"$inc": {"units": -units}, "$unset": {held: ""}},
        )
