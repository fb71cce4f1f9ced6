"""What WeChat is told of a paid order's goods leaving (小程序发货信息管理服务): the body of
`/wxa/sec/order/upload_shipping_info`, built from the order as it stands.

WeChat holds a trade-managed mini-program's money until each payment's shipping is uploaded
(docs/decisions/0020-wechat-shipping-information.md has the rules and their addresses):
- express: one entry per parcel handed to a carrier (WeChat's courier code and the tracking
  number); an order of several merchants' parcels is a split delivery (at most 15 entries),
  `is_all_delivered` once none is waiting; SF needs a masked contact, last four digits shown;
- a rider (same-city, 2), the store's pickup (4) and a membership (3) are one entry each;
- a combined payment's sub-orders (marketplace mode) are each a payment of their own: each
  is told of its merchant's goods alone (orders.wechat_payments).
The body always carries everything shipped so far, so an upload repeated after a crash, or
one that a later parcel overtakes, tells WeChat the same thing or more, never less.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import datetime, timedelta, timezone
from typing import Any

from retail.common.vocabulary import Delivery

from .document import Order
from .records import by_parcel, waiting_parcels
from .wechat_payments import WeChatPayment, wechat_payments

EXPRESS, SAME_CITY, VIRTUAL, PICKUP = 1, 2, 3, 4  # logistics_type
UNIFIED, SPLIT = 1, 2  # delivery_mode
BY_TRANSACTION = 2  # order_number_type: the payment named by WeChat Pay's transaction_id
MOST_PARCELS = 15
ITEM_DESC_LENGTH = 120
SF = "SF"  # WeChat asks a contact for SF Express parcels
CST = timezone(timedelta(hours=8))
SHIPPING_PROMISE = timedelta(hours=48)  # ordinary goods, after payment
PRESALE_NOTICE = timedelta(days=15)  # shipping later than this after payment is reported
LONGEST_PRESALE = timedelta(days=330)
Merchants = Collection[str] | None  # whose goods; None: the whole order's
_SINGLE: dict[Delivery, int] = {"instant": SAME_CITY, "pickup": PICKUP, "virtual": VIRTUAL}


def shipping_uploads(order: Order, now: datetime) -> list[tuple[WeChatPayment, dict[str, Any]]]:
    """The uploads for this order now, one per payment with something on its way: the
    order's one payment, or each sub-order of a combined payment with its merchant's goods
    (orders.wechat_payments). None for an order never paid through WeChat Pay."""
    uploads = []
    for payment in wechat_payments(order):
        shipment = _shipment(order, payment.merchants)
        if shipment is not None:
            uploads.append((payment, _upload(order, payment, shipment, now)))
    return uploads


def never_shipping(order: Order) -> list[WeChatPayment]:
    """A combined payment's sub-orders whose goods were all refunded before they left: no
    shipping of theirs will ever be uploaded (the payment may still hold their freight)."""
    refunded, parcels = order.get("parcel_refunds") or {}, order.get("parcels") or {}
    return [
        payment
        for payment in wechat_payments(order)
        if payment.merchants is not None
        and order["delivery"] == "express"
        and all(m in refunded and m not in parcels for m in payment.merchants)
    ]


def _upload(
    order: Order, payment: WeChatPayment, shipment: dict[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "order_key": {
            "order_number_type": BY_TRANSACTION,
            "transaction_id": payment.transaction_id,
        },
        **shipment,
        "upload_time": now.astimezone(CST).isoformat(timespec="milliseconds"),
        "payer": {"openid": order["openid"]},
    }


def _shipment(order: Order, merchants: Merchants) -> dict[str, Any] | None:
    """How these merchants' goods (None: all of the order's) left, or None if they have not."""
    if order["delivery"] == "express":
        return _express(order, merchants)
    return {
        "logistics_type": _SINGLE[order["delivery"]],
        "delivery_mode": UNIFIED,
        "shipping_list": [{"item_desc": item_desc(order, merchants)}],
    }


def _express(order: Order, merchants: Merchants) -> dict[str, Any] | None:
    shipments: dict[tuple[str, str], list[str]] = {}  # (courier, tracking no) -> merchants
    # In the order they left, so that a later parcel never displaces one WeChat already has.
    parcels = sorted(
        (
            (merchant_id, parcel)
            for merchant_id, parcel in (order.get("parcels") or {}).items()
            if merchants is None or merchant_id in merchants
        ),
        key=lambda item: (str(item[1].get("shipped_at") or ""), item[0]),
    )
    for merchant_id, parcel in parcels:
        key = (parcel["carrier"], parcel["tracking_no"])
        shipments.setdefault(key, []).append(merchant_id)
    if not order.get("parcels") and order.get("carrier") and order.get("tracking_no"):
        shipments[(order["carrier"], order["tracking_no"])] = []  # shipped before parcels
    if not shipments:
        return None
    entries = [
        _parcel(order, courier, tracking_no, parcel_merchants or merchants)
        for (courier, tracking_no), parcel_merchants in list(shipments.items())[:MOST_PARCELS]
    ]
    travelling = by_parcel(order) if merchants is None else merchants
    if len(travelling) <= 1 and len(entries) == 1:
        return {"logistics_type": EXPRESS, "delivery_mode": UNIFIED, "shipping_list": entries}
    return {
        "logistics_type": EXPRESS,
        "delivery_mode": SPLIT,
        "is_all_delivered": not waiting_parcels(order),
        "shipping_list": entries,
    }


def _parcel(order: Order, courier: str, tracking_no: str, merchants: Merchants) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "tracking_no": tracking_no,
        "express_company": courier,
        "item_desc": item_desc(order, merchants),
    }
    phone = str((order.get("address") or {}).get("telNumber") or "")
    if courier == SF and phone:
        entry["contact"] = {"receiver_contact": masked_contact(phone)}
    return entry


def item_desc(order: Order, merchants: Merchants) -> str:
    """`title*qty` of the lines (of these merchants), joined, within WeChat's 120 characters."""
    lines = [ln for ln in order["lines"] if merchants is None or ln.get("merchant_id") in merchants]
    text = ";".join(f"{ln['title']}*{ln['qty']}" for ln in lines) or "商品"
    return text if len(text) <= ITEM_DESC_LENGTH else text[: ITEM_DESC_LENGTH - 1] + "…"


def masked_contact(phone: str) -> str:
    """A phone as WeChat takes it: masked, the last four digits shown (189****1234)."""
    digits = phone.replace(" ", "")
    if len(digits) <= 4:
        return "****" + digits[-4:]
    head = digits[:3] if len(digits) >= 11 else ""
    return head + "****" + digits[-4:]


def ship_by(order: Order) -> datetime | None:
    """When a paid order must be on its way under WeChat's rules for trade mini-programs:
    48 hours after payment for ordinary goods (交易类小程序运营规范), the promised shipping
    day's end for pre-sale goods; None for an order not waiting to ship."""
    paid_at = order.get("paid_at")
    if order.get("status") != "PAID" or paid_at is None or order["delivery"] == "virtual":
        return None
    if order.get("ship_on"):
        return _day_end(str(order["ship_on"]))
    return paid_at + SHIPPING_PROMISE


def _day_end(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=CST) + timedelta(days=1, seconds=-1)


def presale_delay_to(order: Order) -> int | None:
    """When a pre-sale order paid through WeChat Pay ships more than 15 days after payment,
    the time WeChat must be told it will (opspecialorder's `delay_to`, unix seconds): the end
    of its shipping day in China, kept within the 15 to 330 days after payment WeChat takes."""
    ship_on, paid_at = order.get("ship_on"), order.get("paid_at")
    if not ship_on or paid_at is None or not order.get("transaction_id"):
        return None
    day_ends = _day_end(ship_on)
    if day_ends <= paid_at + PRESALE_NOTICE:
        return None
    return int(min(day_ends, paid_at + LONGEST_PRESALE).timestamp())


def fingerprint(body: dict[str, Any]) -> str:
    """What an upload says, whatever its time: two uploads that say the same thing match."""
    said = {k: v for k, v in body.items() if k != "upload_time"}
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()[:32]
