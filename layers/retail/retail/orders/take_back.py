"""Taking an order back: the one decision behind a rejected risk hold, a group that did not
fill and a buyer's refund of goods that never left. An unpaid order is cancelled (WeChat Pay
closed first); a paid one goes to REFUNDING and its money is sent back.

The orders package decides and writes the order; the money moves through a `Cashier` the
caller passes in (payments.WECHAT_PAY in production), the way closing a payment already is:
orders never imports the payment side, so a payment notification walks down the packages,
never back up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from retail.store import Db

from .cancel import PaymentCloser, cancel_unpaid
from .document import Order, orders_of
from .parcel_refunds import NOTHING_LEFT, nothing_left, unchanged_parcels
from .records import COMPLETED, PAID, SHIPPED
from .refunding import start_refunding

# Records and sends the refund an order (or one merchant's parcel of it) is owed, once by
# out_refund_no; answers the order as it is after.
OrderRefunder = Callable[[Db, Order], Order]
ParcelRefunder = Callable[[Db, Order, str], Order]


@dataclass(frozen=True)
class Cashier:
    """What the orders package asks of the payment side."""

    close_payment: PaymentCloser
    refund_order: OrderRefunder
    refund_parcel: ParcelRefunder


def take_back(
    db: Db, order_id: str, reason: str, *, cashier: Cashier, deal_failed: bool = False
) -> Order | None:
    """Cancel the order if unpaid, else refund it: only while nothing has left, or whatever
    left when `deal_failed` (the deal never happened, so all the money goes back). None if
    there was nothing to take back."""
    order = orders_of(db).find_one({"_id": order_id})
    if order is None:
        return None
    cancelled = cancel_unpaid(db, order, reason, close_payment=cashier.close_payment)
    if cancelled is not None:
        return cancelled
    if deal_failed:
        return refund_failed_deal(db, order_id, reason, cashier=cashier)
    return refund_paid_order(db, order_id, reason, cashier=cashier)


def refund_paid_order(db: Db, order_id: str, reason: str, *, cashier: Cashier) -> Order | None:
    """A paid, unshipped order back to the buyer: PAID -> REFUNDING, goods back to stock,
    refund sent. None if the order was not PAID or a parcel of it has left."""
    refunding = start_refunding(
        db,
        order_id,
        PAID,
        reason,
        extra={"restock": True, "refund_reason": reason},
        condition=NOTHING_LEFT,
    )
    return None if refunding is None else cashier.refund_order(db, refunding)


def refund_unshipped_order(db: Db, order: Order, reason: str, *, cashier: Cashier) -> Order | None:
    """What is left of an order that has not left: a PAID order, or a SHIPPED one whose
    parcels that left were all refunded by parcel (the waiting ones go back to stock, the
    coupon stays spent: goods did leave). None if the order changed meanwhile."""
    if nothing_left(order):
        return refund_paid_order(db, order["_id"], reason, cashier=cashier)
    refunding = start_refunding(
        db,
        order["_id"],
        SHIPPED,
        reason,
        extra={"restock": False, "refund_reason": reason},
        condition=unchanged_parcels(order),
    )
    return None if refunding is None else cashier.refund_order(db, refunding)


def refund_failed_deal(db: Db, order_id: str, reason: str, *, cashier: Cashier) -> Order | None:
    """A paid order whose deal did not happen (its group failed): all the money back without
    review, goods restocked if they never left. None if nothing was paid."""
    refunded = refund_paid_order(db, order_id, reason, cashier=cashier)
    if refunded is not None:
        return refunded
    refunding = start_refunding(
        db,
        order_id,
        [PAID, SHIPPED, COMPLETED],  # PAID: a parcel has just left
        reason,
        extra={"restock": False, "refund_reason": reason},
    )
    return None if refunding is None else cashier.refund_order(db, refunding)
