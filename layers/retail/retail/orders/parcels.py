"""Shipping by parcel: each merchant in an order ships and tracks its own lines.

`parcels.<merchant_id>` on the order records a merchant's parcel once it is handed to a
carrier (absent: still waiting). The first parcel out moves the order PAID -> SHIPPED (goods
have left: a refund now needs review); the order records `shipped_at` when the last one is
out, which starts auto-confirmation; the buyer's receipt completes the order only when every
parcel is out, and marks them all delivered. Admin and service ship every waiting parcel.
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.errors import Conflict, Forbidden, NotFound, Reason
from retail.common.operator import Operator, Role
from retail.common.vocabulary import GroupStatus, ParcelStatus
from retail.store import Db

from .document import Order, orders_of
from .lifecycle import transition
from .parcel_states import WAITING, in_state
from .records import PAID, SHIPPED, by_parcel, waiting_parcels
from .shipping_upload import shipping_due

NOT_HELD = {"risk_hold": None}  # an order held by a risk rule waits for an operator's review


def parcels_of(operator: Operator, order: Order) -> list[str]:
    """The merchants whose parcels this operator ships; raises NotFound for a merchant with
    no goods in the order (as for a missing order) and Forbidden for other roles."""
    merchants: list[str] = order.get("merchant_ids") or []
    if operator.is_one_of(Role.ADMIN, Role.SERVICE):
        return waiting_parcels(order) or merchants
    if operator.merchant_id is not None and operator.merchant_id in merchants:
        return [operator.merchant_id]
    if operator.kind == Role.MERCHANT:
        raise NotFound(f"no order {order['_id']!r}")
    raise Forbidden(f"role {operator.role!r} may not handle orders")


def refuse_unformed_group(db: Db, order: Order) -> None:
    """A group-buy order leaves only once its group has succeeded (it may still fail)."""
    if not order.get("group_id"):
        return
    group = db.groups.find_one({"_id": order["group_id"]}, {"status": 1}) or {}
    if group.get("status") != GroupStatus.SUCCEEDED:
        raise Conflict(
            "the group has not formed yet; its orders leave when it succeeds",
            reason=Reason.GROUP_NOT_FORMED,
            group_id=order["group_id"],
        )


def ship_parcels(
    db: Db, order: Order, merchants: list[str], carrier: str, tracking_no: str
) -> list[str]:
    """Hand each waiting parcel to the carrier once; returns the merchants shipped now.
    Raises Conflict if the order cannot be shipped or a parcel left with other tracking."""
    now = utcnow()
    shipped = []
    for merchant_id in merchants:
        parcel = {
            "status": ParcelStatus.SHIPPED,
            "carrier": carrier,
            "tracking_no": tracking_no,
            "shipped_at": now,
        }
        moved = orders_of(db).update_one(
            {
                "_id": order["_id"],
                "status": {"$in": [PAID, SHIPPED]},
                **in_state(merchant_id, WAITING),  # neither left nor given back
                **NOT_HELD,
            },
            {
                "$set": {
                    f"parcels.{merchant_id}": parcel,
                    "updated_at": now,
                    **shipping_due(now),
                },
                "$push": {"tracking": _entry(merchant_id, carrier, tracking_no, now)},
            },
        )
        if moved.modified_count:
            shipped.append(merchant_id)
        else:
            _same_parcel_or_refuse(db, order["_id"], merchant_id, tracking_no)
    if shipped:
        _advance(db, order["_id"], carrier, tracking_no, now)
    return shipped


def _entry(merchant_id: str, carrier: str, tracking_no: str, now: Any) -> dict[str, Any]:
    return {
        "at": now,
        "status": ParcelStatus.SHIPPED,
        "description": f"handed to {carrier}, {tracking_no}",
        "merchant_id": merchant_id,
    }


def _same_parcel_or_refuse(db: Db, order_id: str, merchant_id: str, tracking_no: str) -> None:
    """A retried ship of the same parcel is answered as the first; anything else refused."""
    current = orders_of(db).find_one({"_id": order_id}) or {}
    parcel = (current.get("parcels") or {}).get(merchant_id)
    if parcel and parcel["tracking_no"] == tracking_no:
        return
    status = current.get("status")
    if parcel:
        raise Conflict("this parcel has already been shipped", tracking_no=parcel["tracking_no"])
    if merchant_id in (current.get("parcel_refunds") or {}):
        raise Conflict("this parcel was refunded: nothing to ship", merchant_id=merchant_id)
    raise Conflict(f"an order in status {status} cannot be shipped", status=status)


def _advance(db: Db, order_id: str, carrier: str, tracking_no: str, now: Any) -> None:
    order = orders_of(db).find_one({"_id": order_id}) or {}
    all_out = not waiting_parcels(order)  # read after a parcel left: it has parcels
    extra: dict[str, Any] = {"carrier": order.get("carrier") or carrier}
    extra["tracking_no"] = order.get("tracking_no") or tracking_no
    if all_out:
        extra["shipped_at"] = now
    moved = transition(db, order_id, PAID, SHIPPED, f"{carrier} {tracking_no}", extra=extra)
    if moved is None or not all_out:  # a later parcel, or one went back since the read
        mark_all_out(db, moved or orders_of(db).find_one({"_id": order_id}) or {}, now)


def mark_all_out(db: Db, order: Order, now: Any) -> Order:
    """Every parcel out (handed to a carrier, or refunded before it left): the SHIPPED order
    records `shipped_at` once, which starts auto-confirmation. Called with the order as read
    after each change that can make it so (a parcel shipped, a waiting parcel refunded) and
    by order_repair after a crash, so that of two changes racing the later one sees both."""
    if order.get("status") != SHIPPED or order.get("shipped_at") or waiting_parcels(order):
        return order
    marked = orders_of(db).find_one_and_update(
        {"_id": order["_id"], "status": SHIPPED, "shipped_at": None},
        # every parcel out: WeChat hears the split delivery is finished (a waiting parcel
        # refunded finishes it as much as the last one shipped)
        {"$set": {"shipped_at": now, **shipping_due(now)}},
        return_document=ReturnDocument.AFTER,
    )
    return marked or orders_of(db).find_one({"_id": order["_id"]}) or order


def all_parcels_out(order: Order) -> dict[str, Any]:
    """The condition a receipt needs: every merchant's parcel handed to a carrier, or its
    money given back before it left."""
    return {
        f"parcels.{m}": {"$exists": True}
        for m in by_parcel(order)
        if m not in (order.get("parcel_refunds") or {})
    }


def delivered(order: Order, now: Any) -> dict[str, Any]:
    marks: dict[str, Any] = {}
    for merchant_id in by_parcel(order):
        if merchant_id not in (order.get("parcels") or {}):
            continue  # refunded before it left
        marks[f"parcels.{merchant_id}.status"] = ParcelStatus.DELIVERED
        marks[f"parcels.{merchant_id}.delivered_at"] = now
    return marks


def audit_ship(db: Db, operator: Operator, order: Order, shipped: list[str], cmd: Any) -> None:
    record_audit(
        db,
        operator,
        "order_ship",
        order["_id"],
        {"status": order["status"]},
        {"parcels": shipped, "carrier": cmd.carrier, "tracking_no": cmd.tracking_no},
    )
