"""Refunding one merchant's parcel of an order with goods from several merchants: the buyer
gets that merchant's share of the payment back and the rest of the order goes on.

`parcel_refunds.<merchant_id>` on the order records it: REFUNDING (the money is asked of
WeChat Pay) -> REFUNDED (it arrived), with `amount`, `restock` and the refund's last status.
The order's own status does not change, and each merchant's parcel is refunded at most once
(the conditional update names it absent). The rules (docs/decisions/0012-parcel-refunds.md):

- share: the merchant's goods' part of what was paid for goods (paid less freight, so
  coupons, member discounts and points are shared in proportion); freight goes back only
  with a refund of the whole order, which also pays back what the parcels have not; in
  marketplace mode a parcel that never left gives back its merchant's whole sub-order, its
  part of the freight too (refund_share).
- a parcel not yet handed to a carrier goes back to stock without review; a shipped one
  waits for an operator, like a whole order (refund_request names the merchant).
- the last parcel not refunded is refunded as the whole order (the rest of it), so an order
  whose every parcel went back is REFUNDED like any other.
- the coupon and the points used stay spent; points earned are taken back for the share,
  never below zero (what the balance lacks comes off this refund), and an invitee's
  commission shrinks by the share.
- statements: the parcel's lines are that merchant's refund on the day the money arrived
  (or the order completed, if later), claimed once (settlement.claims).
"""

from __future__ import annotations

from typing import Any

from pymongo import ReturnDocument

from retail.common.clock import utcnow
from retail.common.errors import Conflict, NotFound
from retail.common.logs import log
from retail.common.vocabulary import ParcelRefundStatus, RefundStatus
from retail.store import Db

from .document import Order, orders_of
from .effects import PARCEL_PREFIX, apply_outbox
from .lifecycle import settle_stock
from .notices import notify_refund
from .parcel_states import ParcelState, in_state
from .parcels import mark_all_out
from .records import COMPLETED, PAID, SHIPPED, parcel_share, settling, waiting_parcels
from .refunding import noted_over

REFUNDABLE = [PAID, SHIPPED, COMPLETED]
REFUNDING, REFUNDED = ParcelRefundStatus.REFUNDING, ParcelRefundStatus.REFUNDED
SUCCESS = RefundStatus.SUCCESS


def is_last_parcel(order: Order, merchant_id: str) -> bool:
    """True if every other merchant's parcel has been refunded already."""
    refunded = set(order.get("parcel_refunds") or {})
    return set(order.get("merchant_ids") or []) - refunded == {merchant_id}


# Nothing of the order has been handed to a carrier: `parcels` appears with the first parcel
# out, which may be before the order moves PAID -> SHIPPED (orders.parcels).
NOTHING_LEFT = {"parcels": {"$exists": False}}


def nothing_left(order: Order) -> bool:
    """A PAID order no parcel of which has left: refunded whole, its goods go back to stock."""
    return order.get("status") == PAID and not order.get("parcels")


def rest_never_left(order: Order) -> bool:
    """True for a SHIPPED order whose every parcel that left has been refunded by parcel:
    what is left to refund has never left (the whole refund puts it back in stock)."""
    left = set(order.get("parcels") or {})
    refunded = set(order.get("parcel_refunds") or {})
    return order.get("status") == SHIPPED and left <= refunded and bool(waiting_parcels(order))


def unchanged_parcels(order: Order) -> dict[str, Any]:
    """The condition that no parcel waiting in `order` has left since it was read."""
    return {f"parcels.{m}": {"$exists": False} for m in waiting_parcels(order)}


def check_parcel(order: Order, merchant_id: str) -> None:
    """Raises NotFound for a merchant with no goods in the order, Conflict for an order that
    is not refunded by parcel or a parcel refunded already."""
    merchants: list[str] = order.get("merchant_ids") or []
    if merchant_id not in merchants:
        raise NotFound(f"no goods of merchant {merchant_id!r} in this order")
    if len(merchants) < 2 or order.get("delivery") != "express":
        raise Conflict("this order is refunded whole: leave out merchant_id")
    if merchant_id in (order.get("parcel_refunds") or {}):
        raise Conflict("this parcel has been refunded already", merchant_id=merchant_id)
    if order["status"] not in REFUNDABLE:
        raise Conflict(
            f"an order in status {order['status']} has nothing to refund", status=order["status"]
        )


def start_parcel_refund(
    db: Db,
    order_id: str,
    merchant_id: str,
    reason: str,
    *,
    restock: bool,
    review: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
) -> Order | None:
    """Record the parcel's refund once, with its effects (stock back if `restock`, points
    and commission for the share); None if the parcel was refunded already or the order
    is not refundable. The refund itself is the payments package's (send_parcel_refund);
    The merchant stays in the order's `parcels_owed` until it is recorded there
    (payment_reconcile sends what a crash left owed).

    The update names the status it saw, so `after_completion` says exactly whether the
    order's completion (which earns points on what the parcels refunded before it left)
    came first."""
    for _ in range(3):
        order = orders_of(db).find_one({"_id": order_id}) or {}
        if order.get("status") not in REFUNDABLE:
            return None
        started = _start(db, order, merchant_id, reason, restock, review, condition or {})
        if started is not None:
            log("parcel_refund_started", order_id=order_id, merchant_id=merchant_id)
            apply_outbox(db, started)
            return (
                settle_stock(db, started) if restock else orders_of(db).find_one({"_id": order_id})
            )
        current = orders_of(db).find_one({"_id": order_id}, {"status": 1}) or {}
        if current.get("status") == order["status"]:
            return None  # refunded already, held, or the condition does not hold
    raise Conflict("the order kept changing; try again")


def _start(
    db: Db,
    order: Order,
    merchant_id: str,
    reason: str,
    restock: bool,
    review: dict[str, Any] | None,
    condition: dict[str, Any],
) -> Order | None:
    now = utcnow()
    unsettled = {"stock_settled": False} if restock else {}
    parcel = {
        "status": REFUNDING,
        "amount": refund_share(order, merchant_id),
        "restock": restock,
        "after_completion": order["status"] == COMPLETED,
        "reason": reason,
        "at": now,
    }
    reviewed: dict[str, Any] = {}
    if review is not None:  # an operator approved the buyer's request: it moves onto the parcel
        parcel["review"] = {**review, "request": order.get("refund_request")}
        reviewed = {"$unset": {"refund_request": ""}}
    others = [m for m in order.get("merchant_ids") or [] if m != merchant_id]
    started: Order | None = orders_of(db).find_one_and_update(
        {
            "$and": [
                {"_id": order["_id"], "status": order["status"]},
                {f"parcel_refunds.{merchant_id}": {"$exists": False}},
                # not the last parcel: two requests at once cannot both refund "a parcel"
                {"$or": [{f"parcel_refunds.{m}": {"$exists": False}} for m in others]},
                condition,
            ]
        },
        {
            "$set": {
                f"parcel_refunds.{merchant_id}": parcel,
                "updated_at": now,
                **unsettled,
            },
            "$push": {"timeline": {"at": now, "status": order["status"], "note": reason}},
            "$addToSet": {"outbox": PARCEL_PREFIX + merchant_id, "parcels_owed": merchant_id},
            **reviewed,
        },
        return_document=ReturnDocument.AFTER,
    )
    return None if started is None else mark_all_out(db, started, now)


def refund_share(order: Order, merchant_id: str) -> int:
    """What a parcel's refund gives back: its goods as paid (records.parcel_share). In
    marketplace mode, for a parcel that never left, its merchant's whole sub-order, the
    merchant's part of the freight with its goods: a merchant that ships nothing keeps
    nothing, and WeChat holds no payment waiting for a shipment that never comes
    (docs/decisions/0025)."""
    subs = [s for s in order.get("sub_orders") or [] if s["merchant_id"] == merchant_id]
    if subs and merchant_id not in (order.get("parcels") or {}):
        return int(subs[0]["amount"])
    return parcel_share(order, merchant_id)


def parcel_refund_recorded(db: Db, order_id: str, merchant_id: str) -> None:
    """The parcel's refund is recorded with the payments package: nothing is owed now."""
    orders_of(db).update_one({"_id": order_id}, {"$pull": {"parcels_owed": merchant_id}})


def note_parcel_refund_status(db: Db, order_id: str, merchant_id: str, status: str) -> None:
    """WeChat Pay's word on the parcel's refund (PROCESSING, SUCCESS, CLOSED, ABNORMAL);
    SUCCESS makes the parcel REFUNDED, once."""
    now = utcnow()
    if status == SUCCESS:
        done = orders_of(db).find_one_and_update(
            {"_id": order_id, **in_state(merchant_id, ParcelState.REFUNDING)},
            {
                "$set": {
                    f"parcel_refunds.{merchant_id}.status": REFUNDED,
                    **settling(f"parcel_refunds.{merchant_id}.refunded_at", now),
                },
                "$max": {"parcel_refunded_at": now},
            },
            return_document=ReturnDocument.AFTER,
        )
        if done is not None:
            parcel = done["parcel_refunds"][merchant_id]
            back = parcel["amount"] - parcel.get("points_shortfall", 0)
            notify_refund(db, done, f"{order_id}:{merchant_id}", back, "退款成功")
    noted = f"parcel_refunds.{merchant_id}.refund_status"
    orders_of(db).update_one(
        {
            "_id": order_id,
            f"parcel_refunds.{merchant_id}": {"$exists": True},
            noted: noted_over(status),
        },
        {"$set": {noted: status}},
    )
