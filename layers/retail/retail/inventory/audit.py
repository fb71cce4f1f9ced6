"""Checking the stock books: every stock line balances and matches what orders hold.

Used by the tests after every race and crash, by the benchmarks, and by operators.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from retail.common.vocabulary import LineStock as L
from retail.common.vocabulary import OrderStatus as S
from retail.store import Db

from .levels import level_id

EXPECTED_LINE_STOCK = {
    S.PENDING_PAYMENT: {L.RESERVED},
    S.PAID: {L.SOLD},
    S.SHIPPED: {L.SOLD},
    S.COMPLETED: {L.SOLD},
    S.CANCELLED: {L.NONE, L.RELEASED},
    S.FAILED: {L.NONE, L.RELEASED},
    S.REFUNDING: {L.SOLD, L.RELEASED},
    S.REFUNDED: {L.SOLD, L.RELEASED},
}


def audit_stock(db: Db) -> list[str]:
    """Every broken rule, in words; an empty list means the books are right."""
    problems: list[str] = []
    held, sold = _what_orders_hold(db, problems)
    transferred: Counter[str] = Counter()  # per level, what its buckets moved in and out
    for level in db.stock.find({}):
        key = level["_id"]
        counts = {k: level[k] for k in ("available", "reserved", "sold", "received", "adjusted")}
        moved = int(level.get("moved", 0))
        transferred[f"{level['sku_id']}@{level['location']}"] += moved
        if min(counts.values()) < 0:
            problems.append(f"{key} has a negative count: {counts}")
        if (
            counts["available"] + counts["reserved"] + counts["sold"]
            != counts["received"] - counts["adjusted"] + moved
        ):
            problems.append(f"{key} does not balance: {counts}, moved {moved}")
        if counts["reserved"] != held[key]:
            problems.append(f"{key} reserves {counts['reserved']} but orders hold {held[key]}")
        if counts["sold"] != sold[key]:
            problems.append(f"{key} sold {counts['sold']} but orders bought {sold[key]}")
    for transfer in db.stock_transfers.find({"unsettled": True}):
        problems.append(f"stock transfer {transfer['_id']} is unfinished ({transfer['status']})")
    problems += [
        f"the buckets of {k} moved {n} units in total" for k, n in transferred.items() if n
    ]
    return problems


def _what_orders_hold(db: Db, problems: list[str]) -> tuple[Counter[str], Counter[str]]:
    """Units reserved and sold per stock document (bucket) by the orders' lines, adding to
    `problems` each line whose state its order's status does not allow."""
    held: Counter[str] = Counter()
    sold: Counter[str] = Counter()
    for order in db.orders.find({}):
        allowed = EXPECTED_LINE_STOCK.get(order["status"])
        back = _parcels_back(order)
        for line in order["lines"]:
            wanted = {L.RELEASED} if line["merchant_id"] in back else allowed  # a parcel back
            key = level_id(line["sku_id"], line["location"], line.get("bucket", 0))
            held[key] += line["qty"] if line["stock"] == L.RESERVED else 0
            sold[key] += line["qty"] if line["stock"] == L.SOLD else 0
            if wanted and order.get("stock_settled") and line["stock"] not in wanted:
                problems.append(
                    f"order {order['_id']} is {order['status']} but its line "
                    f"{line['sku_id']} is {line['stock']}"
                )
        if order["status"] == S.RESERVING or not order.get("stock_settled"):
            problems.append(f"order {order['_id']} is unfinished ({order['status']})")
    return held, sold


def _parcels_back(order: dict[str, Any]) -> set[str]:
    """Merchants whose lines must be back in stock: a parcel refunded before it left, and,
    once the order is refunded whole, every parcel that never left."""
    back = {m for m, p in (order.get("parcel_refunds") or {}).items() if p["restock"]}
    if order["status"] in (S.REFUNDING, S.REFUNDED) and (order.get("parcels") or back):
        back |= set(order.get("merchant_ids") or []) - set(order.get("parcels") or {})
    return back
