"""Order state changes, each one conditional update naming the expected state, and the stock
moves that follow them (DESIGN.md §5).

After a status change the order is marked `stock_settled: false`; `settle_stock` then moves
each line's stock to what the new status needs and marks the order settled. If the process
dies in between, order_repair finds the unsettled order and calls `settle_stock` again; every
stock move is exactly once (see retail.inventory.moves).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from retail.common.clock import utcnow
from retail.common.errors import Conflict, NotFound
from retail.common.faults import fault_point
from retail.common.logs import log
from retail.common.vocabulary import SPENDING, LineStock, OrderStatus
from retail.coupons import release_coupon, spend_coupon
from retail.groupbuy import leave_group
from retail.inventory import StockMove, apply_move, clear_marker, marker_of
from retail.members import give_back_points
from retail.risk import release_caps
from retail.store import Db

from .document import Order, OrderLine, orders_of
from .effects import apply_outbox
from .records import (
    CANCELLED,
    COMPLETED,
    FAILED,
    NONE,
    PAID,
    PENDING_PAYMENT,
    REFUNDED,
    REFUNDING,
    RELEASED,
    RESERVED,
    SHIPPED,
    SOLD,
    line_level,
    points_key,
    waiting_parcels,
)
from .transitions import effects_of

# What each line must hold once the order is in a status, given what it holds now.
_TARGET = {
    PENDING_PAYMENT: {RESERVED: RESERVED},
    PAID: {RESERVED: SOLD, SOLD: SOLD},
    # A paid order's lines are sold whatever it reached since: a process that died between
    # the payment's stock move and its record leaves them RESERVED until repair settles them.
    SHIPPED: {RESERVED: SOLD, SOLD: SOLD},
    COMPLETED: {RESERVED: SOLD, SOLD: SOLD},
    # Refunded with the goods gone: sold, even a line whose sale a crash left unrecorded.
    REFUNDING: {RESERVED: SOLD, SOLD: SOLD},
    REFUNDED: {RESERVED: SOLD, SOLD: SOLD},
    CANCELLED: {RESERVED: RELEASED, NONE: NONE, RELEASED: RELEASED},
    FAILED: {RESERVED: RELEASED, NONE: NONE, RELEASED: RELEASED},
}
# A refund gives goods back to stock only when they never left (`restock` on the order, a
# parcel still waiting when the order is refunded whole, or `restock` on a parcel's refund
# for that merchant's lines: orders.parcel_refunds).
# A line still RESERVED there was paid for but its sale never recorded (a crash between the
# payment's moves): its reservation goes back, as the sale never happened.
_RESTOCKED = {RESERVED: RELEASED, SOLD: RELEASED, RELEASED: RELEASED}
_MOVE = {
    (RESERVED, RELEASED): StockMove.RELEASE,
    (RESERVED, SOLD): StockMove.SELL,
    (SOLD, RELEASED): StockMove.RESTOCK,
}


def transition(
    db: Db,
    order_id: str,
    expected: OrderStatus | list[OrderStatus],
    status: OrderStatus,
    note: str | None = None,
    extra: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Order | None:
    """Move the order from an expected status to `status` with every effect the table
    (transitions.py) gives that change; None if the order was not in an expected status.

    The outbox effects are recorded with the change itself and the stock moves marked owed
    (`stock_settled: false`); both are applied right after it, and order_repair finishes
    them if this process dies first. Returns the order as it is after its effects.
    """
    now = now or utcnow()
    allowed = expected if isinstance(expected, list) else [expected]
    effects = effects_of(allowed, status)
    settled = {"stock_settled": False} if effects.moves_stock else {}
    # The buyer's spending may change: the customer table reads the orders marked since its
    # last refresh (analytics.customers), through a partial index new orders are not in.
    moves = any((source in SPENDING) != (status in SPENDING) for source in allowed)
    spending = {"customer_due": now} if moves else {}
    update: dict[str, Any] = {
        "$set": {"status": status, "updated_at": now, **settled, **spending, **(extra or {})},
        "$push": {"timeline": {"at": now, "status": status, "note": note}},
    }
    if effects.outbox:
        update["$addToSet"] = {"outbox": {"$each": list(effects.outbox)}}
    doc: Order | None = orders_of(db).find_one_and_update(
        {"_id": order_id, "status": {"$in": allowed}, **(condition or {})},
        update,
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        return None
    log("order_status_changed", order_id=order_id, status=status, note=note)
    apply_outbox(db, doc)
    return settle_stock(db, doc) if effects.moves_stock else doc


def already_moved(db: Db, order_id: str, buyer: str, status: str, verb: str) -> Order:
    """After a buyer's move found the order elsewhere: the order if it already reached `status`
    (a retried request gets the same answer), else NotFound or Conflict naming its status."""
    order: Order | None = orders_of(db).find_one({"_id": order_id, "openid": buyer})
    if order is None:
        raise NotFound(f"no order {order_id!r}")
    if order["status"] != status:
        raise Conflict(
            f"an order in status {order['status']} cannot be {verb}", status=order["status"]
        )
    return order


def _settle_coupon(db: Db, order: Order, coupon_id: str, restocked: bool) -> None:
    """Paid: the coupon is used. Cancelled, failed, or refunded before shipping: it is back."""
    if order["status"] == PAID:
        spend_coupon(db, coupon_id, order["_id"])
    elif order["status"] in (CANCELLED, FAILED) or restocked:
        release_coupon(db, coupon_id, order["_id"])


def _give_back_or_keep(db: Db, order: Order, restocked: bool) -> None:
    """The coupon, purchase caps, group seat and points an order in this status keeps or
    gives back (each exactly once, by its own key)."""
    coupon_id, group_id = order.get("coupon_id"), order.get("group_id")
    if coupon_id:
        _settle_coupon(db, order, coupon_id, restocked)
    if order["status"] in (CANCELLED, FAILED) or restocked:
        release_caps(db, order)
    if group_id and order["status"] in (CANCELLED, FAILED):
        leave_group(db, group_id, order["openid"], order["_id"])
    if order.get("points_used") and (order["status"] in (CANCELLED, FAILED) or restocked):
        give_back_points(
            db,
            order["openid"],
            order["points_used"],
            points_key(order["_id"], "spend"),
            points_key(order["_id"], "return"),
            "order did not go through",
        )


def settle_stock(db: Db, order: Order) -> Order:
    """Bring every line's stock, and the order's coupon, to what its status needs; returns
    the order. Leaves it unsettled (for order_repair) if a stock move cannot be made.
    """
    refunding = order["status"] in (REFUNDING, REFUNDED)
    restocked = refunding and bool(order.get("restock"))
    target = _RESTOCKED if restocked else _TARGET.get(order["status"], {})
    parcels_back = {m for m, p in (order.get("parcel_refunds") or {}).items() if p["restock"]}
    if refunding:  # refunded whole: the parcels still waiting never left
        parcels_back.update(waiting_parcels(order))
    updates: dict[str, Any] = {}
    moved = 0
    markers: list[tuple[OrderLine, str]] = []  # to clear once recorded: each as made or read
    for index, line in enumerate(order["lines"]):
        line_target = _RESTOCKED if line["merchant_id"] in parcels_back else target
        done = marker_of(db, order["_id"], line_level(line))
        holds = _holds(line, done)
        wanted = line_target.get(holds, holds)
        if wanted == line["stock"]:
            if done is not None and holds == line["stock"]:
                markers.append((line, done))  # a crash after recording the move kept it
            continue
        if wanted != holds:
            move = _MOVE[(holds, wanted)]
            if not apply_move(db, order["_id"], line_level(line), line["qty"], move):
                log(
                    "stock_move_refused",
                    "ERROR",
                    order_id=order["_id"],
                    sku_id=line["sku_id"],
                    move=move.value,
                )
                return order
            fault_point(f"settle_stock:after_move_{moved + 1}")
            done = move.value
        updates[f"lines.{index}.stock"] = wanted
        moved += 1
        if done is not None:
            markers.append((line, done))
    _give_back_or_keep(db, order, restocked)
    if updates and not _record_lines(db, order, updates):
        return orders_of(db).find_one({"_id": order["_id"]}) or order  # markers kept for repair
    fault_point("settle_stock:before_markers_cleared")
    for line, marker in markers:  # only as it was: a move made since keeps its marker
        clear_marker(db, order["_id"], line_level(line), marker)
    settled = orders_of(db).find_one_and_update(
        {"_id": order["_id"], "status": order["status"], "stock_settled": False},
        {"$set": {"stock_settled": True}},
        return_document=ReturnDocument.AFTER,
    )
    return settled or orders_of(db).find_one({"_id": order["_id"]}) or order


def _holds(line: OrderLine, done: str | None) -> LineStock:
    """What the line's stock really holds: its recorded state, or where a move from that
    state left it if a process died between the move and its record (`done`, the move's
    marker on the stock level, says so). Moving again from the recorded state would take a
    reservation the order no longer has: another order's."""
    for (source, target), move in _MOVE.items():
        if move.value == done and source == line["stock"]:
            return target
    return LineStock(line["stock"])


def _record_lines(db: Db, order: Order, updates: dict[str, Any]) -> bool:
    """Record the lines' new stock states, naming the states they were moved from, whatever
    the order's status has become meanwhile (another merchant's parcel may have left): the
    moves happened, so the order must say so before their markers go. True once recorded
    (by this call or by another that made the same moves); False if the lines hold something
    else, when the markers stay and order_repair settles the order again."""
    moved_from = {key: order["lines"][int(key.split(".")[1])]["stock"] for key in updates}
    recorded = orders_of(db).update_one({"_id": order["_id"], **moved_from}, {"$set": updates})
    if recorded.matched_count:
        return True
    current = orders_of(db).find_one({"_id": order["_id"]}, {"lines": 1}) or {}
    lines = current.get("lines") or []
    return all(lines[int(key.split(".")[1])]["stock"] == wanted for key, wanted in updates.items())
