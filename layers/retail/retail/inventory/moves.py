"""Stock moves on behalf of an order line, each exactly once.

A move is one conditional update of the stock line that also leaves a marker
`ops.<order_id> = <move>`; the guard refuses a second identical move while the marker is there.
The order records the line's new state next, then the marker is cleared. A crash between the
two is repaired by reading the marker: present means the move happened. Markers live only
between those two writes, so stock documents stay small however many orders are pending.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from retail.store import Db


class StockMove(str, Enum):
    RESERVE = "RESERVE"  # available -> reserved (needs available >= qty)
    RELEASE = "RELEASE"  # reserved -> available
    SELL = "SELL"  # reserved -> sold
    RESTOCK = "RESTOCK"  # sold -> available (refunded before shipping)


_EFFECT = {
    StockMove.RESERVE: ("available", "reserved"),
    StockMove.RELEASE: ("reserved", "available"),
    StockMove.SELL: ("reserved", "sold"),
    StockMove.RESTOCK: ("sold", "available"),
}
# The move that put an order's units where a move takes them from: a marker naming any other
# move means they have left already (a move a crash left unrecorded), and moving them again
# would take another order's units.
_ENTERED_BY = {"reserved": StockMove.RESERVE.value, "sold": StockMove.SELL.value}


def apply_move(db: Db, order_id: str, level: str, qty: int, move: StockMove) -> bool:
    """Move `qty` units for this order on the stock document `level` (levels.level_id); False
    when the stock (or the reservation) is not there.

    Idempotent while the marker stands: repeating the move changes nothing and returns True.
    Refused while the marker names a move that already took this order's units from where
    this one would take them (they are another order's now).
    """
    source, target = _EFFECT[move]
    marker = f"ops.{order_id}"
    before = [None, *([_ENTERED_BY[source]] if source in _ENTERED_BY else [])]
    moved = db.stock.find_one_and_update(
        {"_id": level, source: {"$gte": qty}, marker: {"$in": before}},
        {"$inc": {source: -qty, target: qty}, "$set": {marker: move.value}},
        projection={"_id": 1},
    )
    return moved is not None or marker_of(db, order_id, level) == move.value


def marker_of(db: Db, order_id: str, level: str) -> str | None:
    doc = db.stock.find_one({"_id": level}, {f"ops.{order_id}": 1})
    return ((doc or {}).get("ops") or {}).get(order_id)


def find_marker(db: Db, order_id: str, levels: list[str]) -> tuple[str, str] | None:
    """(level, move) of the order's marker among `levels` (the buckets a line may have taken
    from before it recorded which), in one read; None if none has one."""
    if len(levels) == 1:
        move = marker_of(db, order_id, levels[0])
        return None if move is None else (levels[0], move)
    marker = f"ops.{order_id}"
    for doc in db.stock.find({"_id": {"$in": levels}, marker: {"$exists": True}}, {marker: 1}):
        return doc["_id"], doc["ops"][order_id]
    return None


def clear_marker(db: Db, order_id: str, level: str, move: str | None = None) -> None:
    """Remove the order's marker from the stock document: only while it is `move` (the one
    this caller made or read), so a move another process made since keeps its marker; None
    for any (an order nothing else can be moving)."""
    where: dict[str, Any] = {"_id": level}
    if move is not None:
        where[f"ops.{order_id}"] = move
    db.stock.update_one(where, {"$unset": {f"ops.{order_id}": ""}})
