"""A buyer cancels an unpaid order; its stock goes back exactly once."""

from __future__ import annotations

from typing import Any

from retail.common.database import database

from .lifecycle import already_moved, settle_stock, transition
from .models import OrderView
from .queries import OrderRef
from .records import CANCELLED, PENDING_PAYMENT, to_view


class CancelOrder(OrderRef):
    pass


def cancel_order(cmd: CancelOrder, *, buyer: str, db: Any = None) -> OrderView:
    """Raises NotFound (not the caller's order) or Conflict (already paid or failed)."""
    db = db if db is not None else database()
    cancelled = transition(
        db,
        cmd.order_id,
        PENDING_PAYMENT,
        CANCELLED,
        "cancelled by buyer",
        condition={"openid": buyer},
    )
    if cancelled is not None:
        return to_view(settle_stock(db, cancelled))
    return to_view(already_moved(db, cmd.order_id, buyer, CANCELLED, "cancelled"))
