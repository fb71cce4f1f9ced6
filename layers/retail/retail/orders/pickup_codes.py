"""Pickup codes (取货码): six digits a buyer shows at the store.

Six digits can repeat, so a new order's code is drawn among those no open pickup order at its
store holds, and verification never guesses: a code that more than one paid order at the store
carries (two orders placed at once can draw the same one) hands over nothing until the staff
name the order too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from retail.common.errors import Conflict, NotFound, Reason
from retail.store import Db

from .document import Order, orders_of
from .records import PAID, PENDING_PAYMENT, RESERVING

OPEN = [RESERVING, PENDING_PAYMENT, PAID]  # a code held until the goods are handed over
DRAWS = 20


def draw_pickup_code(db: Db, store_id: str) -> str:
    """A code no open pickup order at the store holds (after a few draws, any code: the
    verification below still cannot hand over the wrong order)."""
    code = ""
    for _ in range(DRAWS):
        code = f"{secrets.randbelow(10**6):06d}"
        taken = orders_of(db).find_one(
            {"store_id": store_id, "pickup_code": code, "status": {"$in": OPEN}}, {"_id": 1}
        )
        if taken is None:
            break
    return code


def pickup_order(
    db: Db,
    store_id: str,
    code: str,
    order_id: str | None,
    may_handle: Callable[[Order], bool],
) -> Order:
    """The one paid pickup order at the store with this code (and id, when given) among those
    the operator `may_handle`. Raises NotFound, or Conflict (reason PICKUP_CODE_SHARED) when
    the code alone names several (told only to an operator who may handle them)."""
    query: dict[str, Any] = {
        "store_id": store_id,
        "pickup_code": code,
        "delivery": "pickup",
        "status": PAID,
    }
    if order_id is not None:
        query["_id"] = order_id
    found = [o for o in orders_of(db).find(query) if may_handle(o)][:2]
    if not found:
        raise NotFound("no paid pickup order with this code at this store")
    if len(found) > 1:
        raise Conflict(
            "two paid orders at this store share this code: ask the buyer for the order number",
            reason=Reason.PICKUP_CODE_SHARED,
        )
    return found[0]
