"""A buyer's own orders: one by id, or a page of them (newest first)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.clock import from_millis, to_millis
from retail.common.database import database
from retail.common.errors import InvalidArgument, NotFound
from retail.common.models import ORDER_ID, OUT, STRICT
from retail.store import Db

from .document import orders_of
from .models import OrderView
from .records import to_view

Status = Literal[
    "RESERVING",
    "PENDING_PAYMENT",
    "PAID",
    "SHIPPED",
    "COMPLETED",
    "CANCELLED",
    "FAILED",
    "REFUNDING",
    "REFUNDED",
]


class OrderRef(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID


class ListOrders(BaseModel):
    model_config = STRICT
    status: Status | None = None
    page: int = Field(1, ge=1, le=500)
    page_size: int = Field(10, ge=1, le=50)
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page")


class OrderPage(BaseModel):
    model_config = OUT
    items: list[OrderView]
    page: int
    has_more: bool
    next_cursor: str | None


def get_order(cmd: OrderRef, *, buyer: str, db: Db | None = None) -> OrderView:
    """Raises NotFound for another user's order as for a missing one."""
    db = db if db is not None else database()
    order = orders_of(db).find_one({"_id": cmd.order_id, "openid": buyer})
    if order is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    return to_view(order)


def list_orders(cmd: ListOrders, *, buyer: str, db: Db | None = None) -> OrderPage:
    db = db if db is not None else database()
    query: dict[str, Any] = {"openid": buyer}
    if cmd.status:
        query["status"] = cmd.status
    skip = (cmd.page - 1) * cmd.page_size
    if cmd.cursor:
        created, order_id = _decode(cmd.cursor)
        query["$or"] = [
            {"created_at": {"$lt": created}},
            {"created_at": created, "_id": {"$lt": order_id}},
        ]
        skip = 0
    docs = list(
        orders_of(db).find(
            query, sort=[("created_at", -1), ("_id", -1)], skip=skip, limit=cmd.page_size + 1
        )
    )
    page = docs[: cmd.page_size]
    more = len(docs) > cmd.page_size
    cursor = _encode(to_millis(page[-1]["created_at"]), page[-1]["_id"]) if more else None
    return OrderPage(
        items=[to_view(d) for d in page], page=cmd.page, has_more=more, next_cursor=cursor
    )


def _encode(created_ms: int, order_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_ms, order_id]).encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    """Raises InvalidArgument for anything `_encode` did not make (a caller may send any
    text, including a time no calendar holds)."""
    try:
        created_ms, order_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(created_ms, int) and isinstance(order_id, str):
            return from_millis(created_ms), order_id
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error):
        pass
    raise InvalidArgument("cursor: not a cursor this function gave out")
