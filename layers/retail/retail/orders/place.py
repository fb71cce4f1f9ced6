"""Placing an order: write it first, reserve each line in SKU order, then open it for payment.

A retry with the same idempotency key, even ten at once, gets the same order. If a line is
out of stock the lines already reserved go back and the order ends FAILED. A crash anywhere
leaves an order that order_repair finishes or undoes (DESIGN.md §5).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, OutOfStock
from retail.common.faults import fault_point
from retail.common.settings import settings
from retail.consent import require_consent
from retail.coupons import lock_coupon
from retail.groupbuy import join_group
from retail.inventory import StockMove, apply_move, clear_marker
from retail.members import spend_points
from retail.risk import (
    guard_flash_sale,
    guard_order,
    order_holds,
    purchase_limits,
    signals_for,
    take_caps,
)

from .lifecycle import settle_stock
from .models import OrderView, PlaceOrder
from .pricing import quote_order
from .records import (
    FAILED,
    PENDING_PAYMENT,
    PURCHASE_LIMIT,
    RESERVED,
    RESERVING,
    new_order_doc,
    new_order_id,
    points_key,
    to_view,
)

# High-value customers (their RFM segment, as the rollup last set it) are served first.
PRIORITY_FIRST, PRIORITY_REST = 1, 2


def place_order(
    cmd: PlaceOrder, *, buyer: str, client_ip: str | None = None, db: Any = None
) -> OrderView:
    """Raises OutOfStock (naming the SKU), NotFound, InvalidArgument, Conflict, or Forbidden
    (no privacy consent for the address, or a risk rule blocks the buyer)."""
    db = db if db is not None else database()
    request_hash = hashlib.sha256(
        cmd.model_dump_json(exclude={"idempotency_key", "device_id"}).encode()
    ).hexdigest()
    existing = db.orders.find_one({"openid": buyer, "idempotency_key": cmd.idempotency_key})
    if existing is not None:
        return _replay(existing, request_hash)
    quote = quote_order(db, cmd, buyer)
    now = utcnow()
    address = cmd.address.model_dump(exclude_none=True) if cmd.address else None
    if address:
        require_consent(db, buyer, "delivery address")
    signals = signals_for(buyer, device=cmd.device_id, ip=client_ip, address=address)
    guard_order(db, signals, cmd.idempotency_key, now)
    limits = purchase_limits(db, [line.sku_id for line in quote.lines])
    user = db.users.find_one({"_id": buyer}, {"first_seen_at": 1, "segment": 1}) or {}
    guard_flash_sale(user, limits, now)
    order = new_order_doc(
        new_order_id(now), buyer, cmd.idempotency_key, request_hash, quote, address, cmd.remark, now
    )
    order["risk_marks"] = signals.marks()
    order["priority"] = PRIORITY_FIRST if user.get("segment") == "high_value" else PRIORITY_REST
    try:
        db.orders.insert_one(order)
    except DuplicateKeyError:  # the same key raced in from a concurrent retry
        raced = db.orders.find_one({"openid": buyer, "idempotency_key": cmd.idempotency_key})
        return _replay(raced, request_hash)
    fault_point("order_place:after_order_write")
    capped_sku = take_caps(db, order, limits)
    if capped_sku is not None:
        fail_order(db, order, [], {"code": PURCHASE_LIMIT, "sku_id": capped_sku})
        raise _over_limit(capped_sku, order["_id"])
    hold = order_holds(db, signals, order["_id"], now)
    if hold is not None:
        db.orders.update_one({"_id": order["_id"]}, {"$set": {"risk_hold": hold}})
    if cmd.coupon_id and not lock_coupon(db, cmd.coupon_id, buyer, order["_id"]):
        fail_order(db, order, [], {"code": "COUPON_UNAVAILABLE", "coupon_id": cmd.coupon_id})
        raise Conflict("the coupon was just used by another order", coupon_id=cmd.coupon_id)
    if quote.points_used and not spend_points(
        db, buyer, quote.points_used, points_key(order["_id"], "spend"), "paid an order"
    ):
        fail_order(db, order, [], {"code": "NOT_ENOUGH_POINTS"})
        raise Conflict("the points were just spent elsewhere")
    if cmd.group is not None:
        _join_group(db, cmd, buyer, order)
    return to_view(reserve_and_open(db, order))


def _join_group(db: Any, cmd: PlaceOrder, buyer: str, order: dict[str, Any]) -> None:
    assert cmd.group is not None
    deal = db.group_deals.find_one({"_id": cmd.group.deal_id})
    group_id = join_group(db, deal, cmd.group.group_id, buyer, order["_id"])
    if group_id is None:
        fail_order(db, order, [], {"code": "GROUP_CLOSED"})
        raise Conflict("this group is full, closed, or already has you")
    db.orders.update_one({"_id": order["_id"]}, {"$set": {"group_id": group_id}})
    order["group_id"] = group_id


def reserve_and_open(db: Any, order: dict[str, Any]) -> dict[str, Any]:
    """Reserve every line (SKU order) and open the order for payment, or give back what was
    reserved and fail it. Raises OutOfStock after failing the order."""
    held: list[int] = []
    for index in sorted(range(len(order["lines"])), key=lambda i: order["lines"][i]["sku_id"]):
        line = order["lines"][index]
        if not apply_move(
            db, order["_id"], line["sku_id"], line["location"], line["qty"], StockMove.RESERVE
        ):
            fail_order(db, order, held, {"code": "OUT_OF_STOCK", "sku_id": line["sku_id"]})
            raise OutOfStock(
                f"not enough stock for {line['sku_id']}",
                sku_id=line["sku_id"],
                order_id=order["_id"],
            )
        held.append(index)
        fault_point(f"order_place:after_line_{len(held)}")
    fault_point("order_place:before_status_switch")
    return open_for_payment(db, order)


def open_for_payment(db: Any, order: dict[str, Any]) -> dict[str, Any]:
    """RESERVING -> PENDING_PAYMENT once every line holds its stock."""
    now = utcnow()
    deadline = now + timedelta(seconds=settings().RETAIL_PAYMENT_TIMEOUT_SECONDS)
    lines = {f"lines.{i}.stock": RESERVED for i in range(len(order["lines"]))}
    opened = db.orders.find_one_and_update(
        {"_id": order["_id"], "status": RESERVING},
        {
            "$set": {
                **lines,
                "status": PENDING_PAYMENT,
                "pay_deadline": deadline,
                "stock_settled": True,
                "updated_at": now,
            },
            "$push": {"timeline": {"at": now, "status": PENDING_PAYMENT, "note": None}},
        },
        return_document=ReturnDocument.AFTER,
    )
    fault_point("order_place:after_status_switch")
    for line in order["lines"]:
        clear_marker(db, order["_id"], line["sku_id"], line["location"])
    current: dict[str, Any] = opened or db.orders.find_one({"_id": order["_id"]})
    return current


def fail_order(db: Any, order: dict[str, Any], held: list[int], failure: dict[str, str]) -> None:
    """RESERVING -> FAILED, recording which lines hold stock, then give that stock back."""
    now = utcnow()
    lines = {f"lines.{i}.stock": RESERVED for i in held}
    failed = db.orders.find_one_and_update(
        {"_id": order["_id"], "status": RESERVING},
        {
            "$set": {
                **lines,
                "status": FAILED,
                "failure": failure,
                "stock_settled": False,
                "updated_at": now,
            },
            "$push": {"timeline": {"at": now, "status": FAILED, "note": failure["code"]}},
        },
        return_document=ReturnDocument.AFTER,
    )
    if failed is not None:
        settle_stock(db, failed)


def _replay(order: dict[str, Any], request_hash: str) -> OrderView:
    """The answer a retry gets: the same order, or the same out-of-stock refusal."""
    if order["request_hash"] != request_hash:
        raise Conflict("this idempotency_key was used for a different order", order_id=order["_id"])
    failure = order.get("failure") or {}
    if order["status"] == FAILED and failure.get("code") == PURCHASE_LIMIT:
        raise _over_limit(failure["sku_id"], order["_id"])
    if order["status"] == FAILED and failure.get("code") == "OUT_OF_STOCK":
        raise OutOfStock(
            f"not enough stock for {failure['sku_id']}",
            sku_id=failure["sku_id"],
            order_id=order["_id"],
        )
    return to_view(order)


def _over_limit(sku_id: str, order_id: str) -> Conflict:
    return Conflict(
        f"{sku_id} is limited per buyer, device and address", sku_id=sku_id, order_id=order_id
    )
