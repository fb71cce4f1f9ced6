"""The order notices a buyer granted (retail.notices): goods shipped, ready for pickup, the
result of a refund, and of a group. Each is sent by the change that makes it true, after its
conditional update succeeded, and is keyed by what happened (an order's parcel and tracking
number, a refund, a group's end), so a repeated change or a replayed effect sends nothing new.
"""

from __future__ import annotations

from datetime import datetime

from retail.common.clock import utcnow
from retail.common.vocabulary import GroupStatus
from retail.notices import Notice, Value, send_notice
from retail.store import Db

from .couriers import couriers
from .document import Order

ORDER_PAGE = "pages/orders/detail"


def _page(order: Order) -> str:
    return f"{ORDER_PAGE}?id={order['_id']}"


def _items(order: Order, merchants: list[str] | None = None) -> str:
    titles = [
        line.get("title") or line["sku_id"]
        for line in order["lines"]
        if merchants is None or line["merchant_id"] in merchants
    ]
    return "、".join(dict.fromkeys(titles))


def notify_shipped(
    db: Db, order: Order, merchants: list[str], carrier: str, tracking_no: str, at: datetime
) -> None:
    """Parcels handed to a carrier together (one tracking number): one notice."""
    values: dict[str, Value] = {
        "order": order["_id"],
        "items": _items(order, merchants),
        "carrier": couriers(db).get(carrier, carrier),
        "tracking_no": tracking_no,
        "shipped_at": at,
    }
    event = f"{order['_id']}:{tracking_no}"
    send_notice(db, Notice.SHIPPED, event, order["openid"], _page(order), values)


def notify_rider_on_the_way(db: Db, order: Order, at: datetime) -> None:
    values: dict[str, Value] = {
        "order": order["_id"],
        "items": _items(order),
        "carrier": "同城配送",
        "tracking_no": str(order.get("delivery_id") or ""),
        "shipped_at": at,
    }
    event = f"{order['_id']}:rider"
    send_notice(db, Notice.SHIPPED, event, order["openid"], _page(order), values)


def notify_pickup_ready(db: Db, order: Order) -> None:
    """A paid pickup order the store can hand over now: not held for a risk review, and its
    group (if any) formed. Called again by what lifts either; told once."""
    if order.get("delivery") != "pickup" or order.get("risk_hold"):
        return
    if order.get("group_id"):
        group = db.groups.find_one({"_id": order["group_id"]}, {"status": 1}) or {}
        if group.get("status") != GroupStatus.SUCCEEDED:
            return
    store = db.stores.find_one({"_id": order.get("store_id")}, {"name": 1}) or {}
    values: dict[str, Value] = {
        "order": order["_id"],
        "items": _items(order),
        "store": str(store.get("name") or ""),
        "pickup_code": str(order.get("pickup_code") or ""),
        "paid_at": order.get("paid_at") or utcnow(),
    }
    send_notice(db, Notice.PICKUP_READY, order["_id"], order["openid"], _page(order), values)


def notify_refund(db: Db, order: Order, event: str, amount: int, result: str) -> None:
    """A refund's result: `event` names which (the order's, a parcel's, a rejection)."""
    values: dict[str, Value] = {
        "order": order["_id"],
        "items": _items(order),
        "amount": amount,
        "result": result,
        "at": utcnow(),
    }
    send_notice(db, Notice.REFUND_RESULT, event, order["openid"], _page(order), values)


def notify_group(db: Db, order: Order, formed: bool) -> None:
    values: dict[str, Value] = {
        "order": order["_id"],
        "items": _items(order),
        "result": "拼团成功" if formed else "拼团失败",
        "at": utcnow(),
    }
    send_notice(db, Notice.GROUP_RESULT, order["_id"], order["openid"], _page(order), values)
