"""The order document: how an order is stored and how it is shown to its buyer."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from retail.common.vocabulary import LineStock, OrderStatus
from retail.inventory import bucket_levels, level_id

from .document import Order, OrderLine
from .models import OrderView, Quote
from .parcel_states import ParcelState, parcel_state

RESERVING = OrderStatus.RESERVING
PENDING_PAYMENT = OrderStatus.PENDING_PAYMENT
PAID = OrderStatus.PAID
SHIPPED = OrderStatus.SHIPPED
COMPLETED = OrderStatus.COMPLETED
CANCELLED = OrderStatus.CANCELLED
FAILED = OrderStatus.FAILED
REFUNDING = OrderStatus.REFUNDING
REFUNDED = OrderStatus.REFUNDED

NONE, RESERVED, RELEASED, SOLD = (
    LineStock.NONE,
    LineStock.RESERVED,
    LineStock.RELEASED,
    LineStock.SOLD,
)

_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_order_id(now: datetime) -> str:
    """Time-ordered, unguessable, and usable as out_trade_no and as a field name."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
    return f"O{now:%y%m%d%H%M%S}{suffix}"


def new_order_doc(
    order_id: str,
    openid: str,
    idempotency_key: str,
    request_hash: str,
    quote: Quote,
    address: dict[str, Any] | None,
    remark: str | None,
    now: datetime,
    buckets: Mapping[str, int] | None = None,
) -> Order:
    """`buckets`: {sku_id: K} for the lines whose stock level is split (inventory.buckets)."""
    lines = [
        OrderLine(
            sku_id=line.sku_id,
            product_id=line.product_id,
            merchant_id=line.merchant_id,
            category_id=line.category_id,
            title=line.title,
            spec=line.spec,
            price=line.price,
            qty=line.qty,
            amount=line.amount,
            location=line.location,
            membership_days=line.membership_days,
            stock=NONE,
        )
        for line in quote.lines
    ]
    split = buckets or {}
    for line in lines:
        if split.get(line["sku_id"], 1) > 1:
            line["buckets"] = split[line["sku_id"]]
    return {
        "_id": order_id,
        "out_trade_no": order_id,
        "openid": openid,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "status": RESERVING,
        "lines": lines,
        "delivery": quote.delivery,
        "store_id": quote.store_id,
        "distance_m": quote.distance_m,
        "address": address,
        "goods_amount": quote.goods_amount,
        "freight": quote.freight,
        "discount": quote.discount,
        "member_discount": quote.member_discount,
        "points_used": quote.points_used,
        "total": quote.total,
        "remark": remark,
        "pickup_code": None,  # drawn by order_place for a pickup order (pickup_codes)
        "merchant_ids": sorted({line.merchant_id for line in quote.lines}),
        "coupon_id": quote.coupon_id,
        "group_id": None,
        "stock_settled": False,
        "created_at": now,
        "updated_at": now,
        "pay_deadline": None,
        "failure": None,
        "timeline": [{"at": now, "status": RESERVING, "note": None}],
        "tracking": [],
        "delivery_id": None,
        "ship_on": quote.ship_on,
    }


def line_level(line: OrderLine) -> str:
    """The stock document holding the line's units (its bucket's, once it took some)."""
    return level_id(line["sku_id"], line["location"], line.get("bucket", 0))


def line_levels(line: OrderLine) -> list[str]:
    """The stock documents the line may have taken units from: its bucket once recorded,
    else every bucket its level had when the order was placed."""
    if "bucket" in line:
        return [line_level(line)]
    return bucket_levels(line["sku_id"], line["location"], line.get("buckets", 1))


def parcel_share(order: Order, merchant_id: str) -> int:
    """The merchant's part of the money paid for goods, in fen (rounded down)."""
    goods = int(order["goods_amount"])
    mine = sum(ln["amount"] for ln in order["lines"] if ln["merchant_id"] == merchant_id)
    paid_for_goods = max(int(order.get("paid_amount", order["total"])) - order["freight"], 0)
    return paid_for_goods * mine // goods if goods else 0


def parcels_refunded(order: Order) -> int:
    """The shares of the parcels refunded: given back to the buyer, or kept for the earned
    points the buyer had spent (their points shortfall)."""
    return sum(p["amount"] for p in (order.get("parcel_refunds") or {}).values())


def refunded_before_completion(order: Order) -> int:
    """The shares of the parcels refunded while the order had not completed: completion
    earns no points on them. A parcel refunded after completion takes its points back itself
    (effects), whichever of the two effects runs first."""
    parcels = (order.get("parcel_refunds") or {}).values()
    return sum(p["amount"] for p in parcels if not p.get("after_completion"))


def by_parcel(order: Order) -> list[str]:
    """Merchants whose goods travel as parcels: express orders that shipped by parcel (an
    instant order travels with one rider; orders shipped before parcels have none)."""
    if order.get("delivery") != "express" or not (
        order.get("parcels") or order.get("parcel_refunds")
    ):
        return []
    merchants: list[str] = order.get("merchant_ids") or []
    return merchants


def waiting_parcels(order: Order) -> list[str]:
    """Merchants whose parcel has neither left nor been refunded."""
    return [m for m in by_parcel(order) if parcel_state(order, m) == ParcelState.WAITING]


def settling(moment: str, at: datetime) -> dict[str, Any]:
    """`moment` set to `at`, for an event that puts the order in settlement's to-do set (a
    partial index holds it): its lines, or a refund of them, now belong in a merchant's
    statement. `settlement_due`, the time of the latest such event, lets settlement take the
    order out only if nothing happened since it read it (settlement.ledger)."""
    return {moment: at, "settlement_due": at}


def points_key(order_id: str, step: str) -> str:
    """The points ledger id of an order's step: spend, return, earn, reverse."""
    return f"order:{order_id}:{step}"


def merchant_share(doc: Mapping[str, Any], merchant_id: str) -> dict[str, Any]:
    """The order as one merchant of it sees it: its own lines, their amount as the goods and
    the total (what its statement counts; no other merchant's money, no order-wide discount),
    its own parcel, tracking and parcel refund, a refund request only of the whole order or
    of its own parcel, the timeline's states without their notes (which can quote another
    parcel's refund), and neither the buyer's openid nor the platform's customer tier."""
    lines = [ln for ln in doc.get("lines", []) if ln["merchant_id"] == merchant_id]
    goods = sum(ln["amount"] for ln in lines)
    parcel = (doc.get("parcels") or {}).get(merchant_id)
    request = doc.get("refund_request")
    refunds = doc.get("parcel_refunds") or {}
    return {
        **doc,
        **_own_payment(doc, merchant_id),
        "lines": lines,
        "merchant_ids": [merchant_id],
        "goods_amount": goods,
        "total": goods,
        "freight": 0,
        "discount": 0,
        "member_discount": 0,
        "points_used": 0,
        "paid_amount": None,
        "parcels": {merchant_id: parcel} if parcel else {},
        "parcel_refunds": {merchant_id: refunds[merchant_id]} if merchant_id in refunds else {},
        "tracking": [
            t for t in doc.get("tracking") or [] if t.get("merchant_id") in (None, merchant_id)
        ],
        "carrier": parcel["carrier"] if parcel else None,
        "tracking_no": parcel["tracking_no"] if parcel else None,
        "refund_request": request
        if request and request.get("merchant_id") in (None, merchant_id)
        else None,
        "timeline": [
            {"at": t["at"], "status": t["status"], "note": None} for t in doc.get("timeline") or []
        ],
        "openid": None,
        "priority": None,
    }


def _own_payment(doc: Mapping[str, Any], merchant_id: str) -> dict[str, Any]:
    """A marketplace order's payment as one merchant sees it: its own sub-order, its payment
    and its shipping at WeChat, none of another merchant's (orders.wechat_payments)."""
    subs = [s for s in doc.get("sub_orders") or [] if s["merchant_id"] == merchant_id]
    if not doc.get("sub_orders"):
        return {}
    mine = {s["out_trade_no"] for s in subs}
    paid = {k: v for k, v in (doc.get("sub_transactions") or {}).items() if k in mine}
    shipping: Mapping[str, Any] = doc.get("wechat_shipping") or {}
    parts = {k: v for k, v in (shipping.get("parts") or {}).items() if k in mine}
    own: Mapping[str, Any] = next(iter(parts.values()), {})
    kept = {k: v for k, v in shipping.items() if k not in ("parts", "state", "error")}
    return {
        "sub_orders": subs,
        "sub_transactions": paid,
        "transaction_id": next(iter(paid.values()), None),
        "wechat_shipping": {**kept, **{k: own[k] for k in ("state", "error") if k in own}}
        | ({"parts": parts} if parts else {}),
    }


def to_view(doc: Mapping[str, Any]) -> OrderView:
    fields = {k: v for k, v in doc.items() if k in OrderView.model_fields}
    return OrderView.model_validate({**fields, "order_id": doc["_id"]})
