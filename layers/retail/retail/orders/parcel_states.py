"""A merchant's parcel of an order as one state, and the moves it may make.

A parcel is not a document of its own: it is `parcels.<merchant_id>` (handed to a carrier)
and `parcel_refunds.<merchant_id>` (its money given back) on the order. `parcel_state` reads
the two as one state, and every move is one conditional update whose filter is `in_state`
of the state it leaves, so a parcel moves only along this table, once:

    WAITING --ship--> SHIPPED --receipt--> DELIVERED
       |                 |                     |
       +-----------------+------refund---------+--> REFUNDING --money arrived--> REFUNDED

A waiting parcel's refund puts its goods back in stock; one that has left waits for an
operator's review first (orders.refund_requests, orders.refund_reviews).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from retail.common.vocabulary import ParcelRefundStatus, ParcelStatus

from .document import Order


class ParcelState(str, Enum):
    WAITING = "WAITING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    REFUNDING = "REFUNDING"
    REFUNDED = "REFUNDED"


WAITING, SHIPPED, DELIVERED, REFUNDING, REFUNDED = ParcelState

MOVES: dict[ParcelState, frozenset[ParcelState]] = {
    WAITING: frozenset({SHIPPED, REFUNDING}),
    SHIPPED: frozenset({DELIVERED, REFUNDING}),
    DELIVERED: frozenset({REFUNDING}),
    REFUNDING: frozenset({REFUNDED}),
    REFUNDED: frozenset(),
}


def parcel_state(order: Order, merchant_id: str) -> ParcelState:
    """Where the merchant's parcel of `order` is (a refund outranks where the goods are)."""
    refund = (order.get("parcel_refunds") or {}).get(merchant_id)
    if refund is not None:
        return REFUNDED if refund.get("status") == ParcelRefundStatus.REFUNDED else REFUNDING
    parcel = (order.get("parcels") or {}).get(merchant_id)
    if parcel is None:
        return WAITING
    return DELIVERED if parcel.get("status") == ParcelStatus.DELIVERED else SHIPPED


def in_state(merchant_id: str, state: ParcelState) -> dict[str, Any]:
    """The filter that holds while the merchant's parcel is in `state`: the condition of
    every move out of it."""
    parcel, refund = f"parcels.{merchant_id}", f"parcel_refunds.{merchant_id}"
    not_refunded = {refund: {"$exists": False}}
    filters: dict[ParcelState, dict[str, Any]] = {
        WAITING: {parcel: {"$exists": False}, **not_refunded},
        SHIPPED: {f"{parcel}.status": ParcelStatus.SHIPPED, **not_refunded},
        DELIVERED: {f"{parcel}.status": ParcelStatus.DELIVERED, **not_refunded},
        REFUNDING: {f"{refund}.status": ParcelRefundStatus.REFUNDING},
        REFUNDED: {f"{refund}.status": ParcelRefundStatus.REFUNDED},
    }
    return filters[state]


def has_left(merchant_id: str) -> dict[str, Any]:
    """The filter that holds while the parcel is with a carrier or the buyer (SHIPPED or
    DELIVERED), not refunded."""
    return {
        f"parcels.{merchant_id}": {"$exists": True},
        f"parcel_refunds.{merchant_id}": {"$exists": False},
    }


def reachable(before: ParcelState, after: ParcelState) -> bool:
    """Whether some sequence of moves of the table leads from `before` to `after`."""
    seen, frontier = {before}, [before]
    while frontier:
        for state in MOVES[frontier.pop()]:
            if state not in seen:
                seen.add(state)
                frontier.append(state)
    return after in seen
