"""Side effects of a payment, kept as an outbox on the order and applied exactly once.

The PAID transition writes `outbox: [...]`; each effect is a guarded update that leaves a marker
`ops.<order_id>` on its target (as stock moves do), then the effect leaves the outbox, then the
marker is cleared. A crash in between is replayed by order_repair without doing anything twice.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

SALES = "sales"


def apply_outbox(db: Any, order: dict[str, Any]) -> None:
    for effect in list(order.get("outbox") or []):
        if effect == SALES:
            _count_sales(db, order)
        db.orders.update_one({"_id": order["_id"]}, {"$pull": {"outbox": effect}})
        if effect == SALES:
            for product_id in _units_by_product(order):
                db.products.update_one({"_id": product_id}, {"$unset": {f"ops.{order['_id']}": ""}})


def _units_by_product(order: dict[str, Any]) -> Counter[str]:
    units: Counter[str] = Counter()
    for line in order["lines"]:
        units[line["product_id"]] += line["qty"]
    return units


def _count_sales(db: Any, order: dict[str, Any]) -> None:
    marker = f"ops.{order['_id']}"
    for product_id, qty in _units_by_product(order).items():
        db.products.update_one(
            {"_id": product_id, marker: {"$ne": SALES}},
            {"$inc": {"sales": qty}, "$set": {marker: SALES}},
        )
