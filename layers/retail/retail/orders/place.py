"""Placing an order: write it first, reserve each line in SKU order, then open it for payment.

A retry with the same idempotency key, even ten at once, gets the same order. If a line is
out of stock the lines already reserved go back and the order ends FAILED. A crash anywhere
leaves an order that order_repair finishes or undoes (DESIGN.md §5).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, RetailError, found
from retail.common.faults import fault_point
from retail.common.pseudonyms import pseudonym
from retail.common.vocabulary import FailureCode
from retail.consent import consent_state, require_consent
from retail.coupons import lock_coupon
from retail.groupbuy import join_group
from retail.members import spend_points
from retail.risk import (
    Signals,
    guard_flash_sale,
    guard_order,
    order_holds,
    signals_for,
    take_caps,
)
from retail.store import Db

from .document import Order, orders_of
from .models import OrderView, PlaceOrder
from .pickup_codes import draw_pickup_code
from .pricing import BUYER_FIELDS, price_order
from .records import (
    FAILED,
    RESERVING,
    new_order_doc,
    new_order_id,
    points_key,
    to_view,
)
from .reserving import (
    fail_order,
    failure_of,
    finish_interrupted,
    refusal,
    refusal_of,
    reserve_and_open,
)

# High-value customers (their RFM segment, as the rollup last set it) are served first.
PRIORITY_FIRST, PRIORITY_REST = 1, 2


def place_order(
    cmd: PlaceOrder, *, buyer: str, client_ip: str | None = None, db: Db | None = None
) -> OrderView:
    """Raises OutOfStock (naming the SKU), NotFound, InvalidArgument, Conflict, or Forbidden
    (no privacy consent for the address, or a risk rule blocks the buyer)."""
    db = db if db is not None else database()
    request_hash = hashlib.sha256(
        cmd.model_dump_json(exclude={"idempotency_key", "device_id"}).encode()
    ).hexdigest()
    key = {"openid": buyer, "idempotency_key": cmd.idempotency_key}
    try:
        order, signals, limits = _new_order(db, cmd, buyer, client_ip, request_hash)
    except RetailError:  # a retry's order stands, whatever would refuse a new one now
        existing = orders_of(db).find_one(key)
        if existing is None:
            raise
        return _replay(db, existing, request_hash)
    try:
        orders_of(db).insert_one(order)
    except DuplicateKeyError:  # a retry (or a call racing it): the key's order is answered
        return _replay(db, found(orders_of(db).find_one(key), "order"), request_hash)
    fault_point("order_place:after_order_write")
    refused = _closing_or_capped(db, order, limits)
    if refused is not None:
        failure, forget = refused
        raise refusal(fail_order(db, order, {}, failure, forget=forget))
    hold = order_holds(db, signals, order["_id"], order["created_at"])
    if hold is not None:
        orders_of(db).update_one({"_id": order["_id"]}, {"$set": {"risk_hold": hold}})
    if cmd.coupon_id and not lock_coupon(db, cmd.coupon_id, buyer, order["_id"]):
        failure = {"code": FailureCode.COUPON_UNAVAILABLE, "coupon_id": cmd.coupon_id}
        raise refusal(fail_order(db, order, {}, failure))
    if order["points_used"] and not spend_points(
        db, buyer, order["points_used"], points_key(order["_id"], "spend"), "paid an order"
    ):
        raise refusal(fail_order(db, order, {}, {"code": FailureCode.NOT_ENOUGH_POINTS}))
    if cmd.group is not None:
        _join_group(db, cmd, buyer, order)
    return to_view(reserve_and_open(db, order))


def _new_order(
    db: Db, cmd: PlaceOrder, buyer: str, client_ip: str | None, request_hash: str
) -> tuple[Order, Signals, dict[str, int]]:
    """The order to write, priced and checked; with the buyer's risk signals and the SKUs'
    purchase limits. A retry is not looked for first (a round trip every call would pay):
    its key's unique index refuses the write, or a refusal here looks it up."""
    buyer_fields = {**BUYER_FIELDS, "first_seen_at": 1, "segment": 1}
    user = db.users.find_one({"_id": buyer}, buyer_fields) or {}
    quote, limits, buckets, sold_out = price_order(db, cmd, buyer, user, suggest=False)
    if sold_out:
        raise refusal_of(failure_of(FailureCode.OUT_OF_STOCK, sold_out[0]))
    now = utcnow()
    address = cmd.address.model_dump(exclude_none=True) if cmd.address else None
    if address:
        require_consent(db, buyer, "delivery address", shared=True)
    signals = signals_for(buyer, device=cmd.device_id, ip=client_ip, address=address)
    guard_order(db, signals, cmd.idempotency_key, now)
    guard_flash_sale(user, limits, now)
    order = new_order_doc(
        new_order_id(now),
        buyer,
        cmd.idempotency_key,
        request_hash,
        quote,
        address,
        cmd.remark,
        now,
        buckets,
    )
    if quote.delivery == "pickup" and quote.store_id:
        order["pickup_code"] = draw_pickup_code(db, quote.store_id)
    order["risk_marks"] = signals.marks()
    order["priority"] = PRIORITY_FIRST if user.get("segment") == "high_value" else PRIORITY_REST
    return order, signals, limits


def _join_group(db: Db, cmd: PlaceOrder, buyer: str, order: Order) -> None:
    assert cmd.group is not None
    deal = found(db.group_deals.find_one({"_id": cmd.group.deal_id}), "group deal")
    group_id = join_group(db, deal, cmd.group.group_id, buyer, order["_id"])
    if group_id is None:
        raise refusal(fail_order(db, order, {}, {"code": FailureCode.GROUP_CLOSED}))
    orders_of(db).update_one({"_id": order["_id"]}, {"$set": {"group_id": group_id}})
    order["group_id"] = group_id


def _closing_or_capped(
    db: Db, order: Order, limits: dict[str, int]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Why the order just written may not go on, and what of the person it must then forget:
    its account is being erased, or its buyer withdrew the consent its address needs (both
    read after the write, as erasure marks the account before it looks for open orders and a
    withdrawal is written before it answers: of two racing calls one always sees the other),
    or it is over a purchase limit; None if none."""
    personal: dict[str, Any] = {"address": None, "remark": None}
    if db.users.find_one({"_id": order["openid"], "erasing": True}, {"_id": 1}) is not None:
        forget: dict[str, Any] = {
            **personal,
            "openid": pseudonym(order["openid"]),
            "risk_marks": [],
        }
        return {"code": FailureCode.ACCOUNT_CLOSING}, forget
    if order.get("address") and not consent_state(db, order["openid"]).share_contact:
        return {"code": FailureCode.CONSENT_WITHDRAWN}, personal
    capped_sku = take_caps(db, order, limits)
    if capped_sku is None:
        return None
    return failure_of(FailureCode.PURCHASE_LIMIT, capped_sku), {}


def _replay(db: Db, order: Order, request_hash: str) -> OrderView:
    """The answer a retry gets: the same order, or the same refusal the first call got; an
    order whose placing was interrupted is finished first (reserving.finish_interrupted)."""
    if order["request_hash"] != request_hash:
        raise Conflict("this idempotency_key was used for a different order", order_id=order["_id"])
    if order["status"] == RESERVING:
        order = finish_interrupted(db, order)
    if order["status"] == FAILED:
        raise refusal(order)
    return to_view(order)
