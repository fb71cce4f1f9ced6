"""Cancelling an unpaid order (the buyer, the payment deadline, a failed group, a risk
reviewer): WeChat Pay is closed first, then PENDING_PAYMENT -> CANCELLED gives the stock,
coupon and points back exactly once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retail.common.database import database
from retail.common.errors import NotFound
from retail.store import Db

from .document import Order, orders_of
from .lifecycle import already_moved, transition
from .models import OrderView
from .queries import OrderRef
from .records import CANCELLED, PENDING_PAYMENT, to_view

# Closes the order's WeChat Pay transaction: True when no money can come for it any more,
# False when it turned out paid (the payment is then applied). Raises UpstreamUnavailable.
PaymentCloser = Callable[[Db, Order], bool]


class CancelOrder(OrderRef):
    pass


def cancel_unpaid(
    db: Db,
    order: Order,
    note: str,
    *,
    close_payment: PaymentCloser,
    condition: dict[str, Any] | None = None,
) -> Order | None:
    """The cancelled, settled order; None if it was not (or no longer) waiting for payment."""
    if order["status"] != PENDING_PAYMENT or not close_payment(db, order):
        return None
    return transition(db, order["_id"], PENDING_PAYMENT, CANCELLED, note, condition=condition)


def cancel_order(
    cmd: CancelOrder, *, buyer: str, close_payment: PaymentCloser, db: Db | None = None
) -> OrderView:
    """Raises NotFound (not the caller's order), Conflict (already paid or failed) or
    UpstreamUnavailable (WeChat Pay could not be closed: nothing changed, try again)."""
    db = db if db is not None else database()
    order = orders_of(db).find_one({"_id": cmd.order_id, "openid": buyer})
    if order is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    cancelled = cancel_unpaid(
        db, order, "cancelled by buyer", close_payment=close_payment, condition={"openid": buyer}
    )
    if cancelled is not None:
        return to_view(cancelled)
    return to_view(already_moved(db, cmd.order_id, buyer, CANCELLED, "cancelled"))
