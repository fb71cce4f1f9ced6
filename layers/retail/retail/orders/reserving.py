"""The stock half of placing an order: reserve each line (in SKU order) and open the order
for payment, or give back what was held and fail it; and finishing an order whose placing
was interrupted (the function died or the store stopped answering), by order_repair or at
once by the buyer's retry with the same key.

A RESERVING order untouched for PLACING_LIMIT has no live placement behind it: order_place
runs at most 10 s (serverless.yml; tests/deploy/test_serverless_yml.py holds the two
together).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument

from retail.common.clock import utcnow
from retail.common.errors import Conflict, Forbidden, OutOfStock, RetailError, Unavailable, found
from retail.common.faults import fault_point
from retail.common.logs import log
from retail.common.settings import settings
from retail.common.vocabulary import FailureCode, LineStock
from retail.inventory import StockMove, apply_move, bucket_of, clear_marker, find_marker, reserve
from retail.store import Db

from .document import Order, orders_of
from .lifecycle import transition
from .records import FAILED, PENDING_PAYMENT, RESERVED, RESERVING, line_level, line_levels

PLACING_LIMIT = timedelta(seconds=20)  # twice order_place's limit: instances' clocks differ
# Work a status change left to do: stock moves, or payment side effects still in the outbox.
UNFINISHED = [{"stock_settled": False}, {"outbox.0": {"$exists": True}}]


def reserve_and_open(db: Db, order: Order) -> Order:
    """Reserve every line (SKU order) and open the order for payment, or give back what was
    reserved and fail it. Raises OutOfStock after failing the order."""
    held: dict[int, int] = {}  # line index -> the bucket its units are in
    for index in sorted(range(len(order["lines"])), key=lambda i: order["lines"][i]["sku_id"]):
        line = order["lines"][index]
        bucket = reserve(
            db,
            order["_id"],
            line["sku_id"],
            line["location"],
            line["qty"],
            line.get("buckets", 1),
        )
        if bucket is None:
            failure = failure_of(FailureCode.OUT_OF_STOCK, line["sku_id"])
            raise refusal(fail_order(db, order, held, failure))
        held[index] = bucket
        fault_point(f"order_place:after_line_{len(held)}")
    fault_point("order_place:before_status_switch")
    opened = open_for_payment(db, order, held)
    if opened["status"] == FAILED:  # a retry finished it meanwhile (finish_interrupted)
        raise refusal(opened)
    return opened


def open_for_payment(db: Db, order: Order, held: dict[int, int]) -> Order:
    """RESERVING -> PENDING_PAYMENT once every line holds its stock (`held`: the bucket of
    each line)."""
    deadline = utcnow() + timedelta(seconds=settings().RETAIL_PAYMENT_TIMEOUT_SECONDS)
    extra = {**_holding(held), "pay_deadline": deadline, "stock_settled": True}
    opened = transition(db, order["_id"], RESERVING, PENDING_PAYMENT, extra=extra)
    if opened is None:  # finished by someone else meanwhile
        return give_back_unrecorded(db, order["_id"])
    fault_point("order_place:after_status_switch")
    for line in opened["lines"]:
        clear_marker(db, order["_id"], line_level(line), StockMove.RESERVE.value)
    return opened


def _holding(held: dict[int, int]) -> dict[str, Any]:
    """The fields recording that these lines hold their units, and in which bucket."""
    fields: dict[str, Any] = {f"lines.{i}.stock": RESERVED for i in held}
    fields.update({f"lines.{i}.bucket": b for i, b in held.items() if b})
    return fields


def fail_order(
    db: Db,
    order: Order,
    held: dict[int, int],
    failure: dict[str, str],
    forget: dict[str, Any] | None = None,
) -> Order:
    """RESERVING -> FAILED, recording which lines hold stock and in which bucket (and, with
    `forget`, dropping the personal fields the failure may not keep), then give that stock
    back. Returns the order as it now is (failed by this call or by an earlier one)."""
    extra = {**_holding(held), "failure": failure, **(forget or {})}
    failed = transition(db, order["_id"], RESERVING, FAILED, str(failure["code"]), extra=extra)
    return failed or give_back_unrecorded(db, order["_id"])


def give_back_unrecorded(db: Db, order_id: str) -> Order:
    """The order as it is after someone else finished its placing (a retry or order_repair
    that took it for dead, finish_interrupted): what this call reserved after they looked
    (a RESERVE marker on a line the order records as holding nothing) goes back, so no
    reservation is left that no order holds."""
    current = found(orders_of(db).find_one({"_id": order_id}), "order")
    for line in current["lines"]:
        if line["stock"] != LineStock.NONE:
            continue
        marker = find_marker(db, order_id, line_levels(line))
        if marker is None or marker[1] != StockMove.RESERVE.value:
            continue
        if apply_move(db, order_id, marker[0], line["qty"], StockMove.RELEASE):
            clear_marker(db, order_id, marker[0], StockMove.RELEASE.value)
    return current


def failure_of(code: FailureCode, sku_id: str) -> dict[str, str]:
    return {"code": code, "sku_id": sku_id}


# What a failed placement answers, the first time and on every replay of its key.
_REFUSALS: dict[str, tuple[type[RetailError], str]] = {
    FailureCode.OUT_OF_STOCK: (OutOfStock, "not enough stock for {sku_id}"),
    FailureCode.PURCHASE_LIMIT: (Conflict, "{sku_id} is limited per buyer, device and address"),
    FailureCode.COUPON_UNAVAILABLE: (Conflict, "the coupon was just used by another order"),
    FailureCode.NOT_ENOUGH_POINTS: (Conflict, "the points were just spent elsewhere"),
    FailureCode.GROUP_CLOSED: (Conflict, "this group is full, closed, or already has you"),
    FailureCode.ACCOUNT_CLOSING: (Conflict, "this account is being erased"),
    FailureCode.CONSENT_WITHDRAWN: (Forbidden, "the privacy consent was withdrawn meanwhile"),
    FailureCode.INTERRUPTED: (Conflict, "placing this order was interrupted; use a new key"),
}


def refusal(order: Order) -> RetailError:
    """The error a FAILED order stands for, with `details.reason` = its failure code."""
    failure = dict(order.get("failure") or {"code": FailureCode.INTERRUPTED})
    return refusal_of(failure, order_id=order["_id"])


def refusal_of(failure: Mapping[str, Any], **details: Any) -> RetailError:
    """The error for a failure (`code` and its details), whether or not an order was
    written for it (a sold-out SKU is refused before: order_place)."""
    rest = {k: v for k, v in failure.items() if k != "code"}
    code = str(failure["code"])
    kind, message = _REFUSALS.get(code, _REFUSALS[FailureCode.INTERRUPTED])
    return kind(message.format(**rest), reason=code, **details, **rest)


def claim_unfinished(db: Db, order: Order) -> Order | None:
    """Take the order for this run: only one repairer wins, and live work is never stolen."""
    claimed = orders_of(db).find_one_and_update(
        {"_id": order["_id"], "$or": UNFINISHED, "updated_at": order["updated_at"]},
        {"$set": {"updated_at": utcnow()}},
        return_document=ReturnDocument.AFTER,
    )
    return claimed


def finish_reserving(db: Db, order: Order) -> bool:
    """An interrupted placing (the order claimed): opened for payment if every line holds
    its stock (the stock markers say so), else what was held goes back and it fails."""
    held: dict[int, int] = {}
    for i, line in enumerate(order["lines"]):
        marker = find_marker(db, order["_id"], line_levels(line))
        if marker is not None and marker[1] == StockMove.RESERVE.value:
            held[i] = bucket_of(marker[0])
    if len(held) == len(order["lines"]):
        log("order_repair_finished", order_id=order["_id"])
        return open_for_payment(db, order, held) is not None
    log("order_repair_undone", order_id=order["_id"], held=len(held))
    fail_order(db, order, held, {"code": "INTERRUPTED"})
    for line in order["lines"]:  # markers of moves a crashed attempt made and undid
        for level in line_levels(line):
            clear_marker(db, order["_id"], level)
    return True


def finish_interrupted(db: Db, order: Order) -> Order:
    """A retry of a key whose order is still RESERVING: finished now if nothing can still be
    placing it, and answered as it ends. Raises Unavailable while the first call may still be
    running: a live placing ends within a second, so the client is told to look again in one
    (a killed one is finished by the first look after PLACING_LIMIT)."""
    if utcnow() - order["updated_at"] < PLACING_LIMIT:
        raise Unavailable("this order is still being placed; retry", retry_after_seconds=1)
    claimed = claim_unfinished(db, order)
    if claimed is not None:
        finish_reserving(db, claimed)
    current = found(orders_of(db).find_one({"_id": order["_id"]}), "order")
    if current["status"] == RESERVING:  # another retry or order_repair is finishing it
        raise Unavailable("this order is still being placed; retry", retry_after_seconds=1)
    return current
