"""What other packages ask of a buyer's orders beyond status changes: a risk hold lifted, the
refunds a buyer asked for, and a buyer's erasure (which orders keep it waiting, then the orders
kept without the person). They live here so that the orders package is the only writer of
orders."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument

from retail.common.clock import utcnow
from retail.common.vocabulary import OrderStatus, ParcelRefundStatus
from retail.common.vocabulary import RefundRequestStatus as R
from retail.store import Db

from .document import orders_of
from .notices import notify_pickup_ready
from .shipping_upload import upload_shipping

ENDED = [OrderStatus.CANCELLED, OrderStatus.FAILED, OrderStatus.REFUNDED]
REVIEW_OPEN = (R.REQUESTED, R.APPROVED)
MAX_SHOWN = 20


def release_hold(db: Db, order_id: str, event_id: str) -> None:
    """A reviewer released the risk event that held the order: it may be shipped again, or
    picked up (the buyer is told it is ready)."""
    released = orders_of(db).find_one_and_update(
        {"_id": order_id, "risk_hold": event_id},
        {"$set": {"risk_hold": None}},
        return_document=ReturnDocument.AFTER,
    )
    if released is not None and released["status"] == OrderStatus.PAID:
        notify_pickup_ready(db, released)


def refunds_asked_since(db: Db, buyer: str, since: datetime) -> list[datetime]:
    """When each of the buyer's orders placed since `since` that were refunded, or had a
    refund asked (of the whole order or of a parcel), was placed."""
    found = orders_of(db).find(
        {
            "openid": buyer,
            "created_at": {"$gte": since},
            "$or": [
                {"status": {"$in": [OrderStatus.REFUNDING, OrderStatus.REFUNDED]}},
                {"refund_request.status": {"$exists": True}},
                {"parcel_refunds": {"$exists": True}},  # a parcel's refund is a refund too
            ],
        },
        {"created_at": 1},
    )
    return [order["created_at"] for order in found]


def orders_in_progress(db: Db, buyer: str, limit: int | None = MAX_SHOWN) -> list[str]:
    """The buyer's orders that fulfilment or a refund still needs the buyer for (not ended,
    not completed, or completed with a refund under way), at most `limit`."""
    waiting = []
    for order in orders_of(db).find({"openid": buyer, "status": {"$nin": ENDED}}):
        parcels = (order.get("parcel_refunds") or {}).values()
        if (
            order["status"] != OrderStatus.COMPLETED
            or (order.get("refund_request") or {}).get("status") in REVIEW_OPEN
            or any(p.get("status") == ParcelRefundStatus.REFUNDING for p in parcels)
        ):
            waiting.append(order["_id"])
    return waiting[:limit]


def anonymise_orders(db: Db, openid: str, alias: str) -> int:
    """A buyer's erasure: orders are financial records and stay, under a pseudonym and
    without the personal details (address, remark, pickup code, tracking, risk marks). An
    order that still needs the buyer (placed or asked about while the erasure ran) is left
    until it has ended (the erasure's second sweep takes it). One whose shipping WeChat is
    still owed is uploaded first, while it still names the payer WeChat knows."""
    for owed in orders_of(db).find(
        {"openid": openid, "shipping_due": {"$exists": True}}, {"_id": 1}
    ):
        upload_shipping(db, owed["_id"])
    waiting = orders_in_progress(db, openid, limit=None)
    kept: int = (
        orders_of(db)
        .update_many(
            {"openid": openid, "_id": {"$nin": waiting}},
            {
                "$set": {
                    "openid": alias,
                    "address": None,
                    "remark": None,
                    "pickup_code": None,
                    "updated_at": utcnow(),
                    "customer_due": utcnow(),  # the customer table follows (analytics.customers)
                },
                "$unset": {"tracking": "", "refund_request": "", "risk_marks": ""},
            },
        )
        .modified_count
    )
    return kept
