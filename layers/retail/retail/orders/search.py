"""Finding orders in the back office: merchants see only orders of their own goods; names,
phones and addresses are masked unless the operator asks for the plain view with a reason,
which only admins and the order's merchant (who must ship it) may, and which is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal, cast

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Forbidden, InvalidArgument
from retail.common.logs import mask
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator, Role
from retail.common.vocabulary import Delivery
from retail.store import Db

from .document import Order
from .inspection import shipping_shown
from .queries import Status
from .records import PAID, merchant_share
from .shipping_info import SHIPPING_PROMISE, ship_by

ORDER_FIELDS = (
    "status",
    "openid",
    "total",
    "transaction_id",
    "delivery",
    "created_at",
    "lines",
    "address",
    "store_id",
    "tracking_no",
    "refund_request",
    "parcel_refunds",
    "risk_hold",
    "priority",
    "paid_at",
)
PLAIN_VIEW_ROLES = (Role.ADMIN, Role.MERCHANT)


class OrderSearch(BaseModel):
    model_config = STRICT
    order_id: str | None = Field(None, max_length=32, pattern=r"^[A-Z0-9]+$")
    openid: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    status: Status | None = None
    delivery: Delivery | None = None
    store_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")
    refund_request_status: Literal["REQUESTED", "APPROVED", "REJECTED"] | None = Field(
        None, description="a refund waiting for review or decided: REQUESTED is the review queue"
    )
    shipping_upload: Literal["FAILED", "RETRYING", "NOT_SHIPPABLE", "NOT_MANAGED"] | None = Field(
        None,
        description="orders whose shipping information WeChat refused (FAILED), has not taken "
        "yet (RETRYING), can no longer take (NOT_SHIPPABLE) or was not asked for because the "
        "mini-program was not under trade management (NOT_MANAGED)",
    )
    ship_within_hours: int | None = Field(
        None,
        ge=0,
        le=48,
        description="paid orders (not pre-sale) whose 48-hour shipping deadline under WeChat's "
        "rules falls within this many hours or has passed, oldest first",
    )
    limit: int = Field(20, ge=1, le=200)
    skip: int = Field(0, ge=0, le=10_000, description="paging: orders to pass over first")
    priority_first: bool = Field(
        False, description="high-value customers' orders first (the fulfilment queue)"
    )
    plain: bool = False
    reason: str | None = Field(
        None, min_length=2, max_length=100, description="why the plain view is needed"
    )


class SearchResults(BaseModel):
    model_config = OUT
    orders: list[dict[str, Any]] = Field(
        description="for a merchant, each order as its share: its own lines, `total` the "
        "amount of its goods (what its statement counts), its own parcel's refund"
    )


def search_orders(cmd: OrderSearch, *, operator: Operator, db: Db | None = None) -> SearchResults:
    db = db if db is not None else database()
    filters = (
        ("_id", cmd.order_id),
        ("openid", cmd.openid),
        ("status", cmd.status),
        ("delivery", cmd.delivery),
        ("store_id", cmd.store_id),
        ("refund_request.status", cmd.refund_request_status),
        ("wechat_shipping.state", cmd.shipping_upload),
    )
    query: dict[str, Any] = {k: v for k, v in filters if v}
    sort = [("priority", 1), ("created_at", 1)] if cmd.priority_first else [("created_at", -1)]
    if cmd.ship_within_hours is not None:
        paid_by = utcnow() - SHIPPING_PROMISE + timedelta(hours=cmd.ship_within_hours)
        query.update(status=PAID, paid_at={"$lte": paid_by}, ship_on=None)
        sort = [("paid_at", 1)]
    if operator.kind == Role.MERCHANT:
        query["merchant_ids"] = operator.merchant_id
        if cmd.refund_request_status:  # a refund of the whole order, or of its own parcel
            query["refund_request.merchant_id"] = {"$in": [None, operator.merchant_id]}
    if cmd.plain and not operator.is_one_of(*PLAIN_VIEW_ROLES):
        raise Forbidden(f"role {operator.role!r} sees personal data masked only")
    if cmd.plain and not cmd.reason:
        raise InvalidArgument("a plain view needs a reason", field="reason")
    found = db.orders.find(query, sort=sort, skip=cmd.skip, limit=cmd.limit)
    results = []
    for order in found:
        if operator.merchant_id is not None:
            order = merchant_share(order, operator.merchant_id)
        view = {"order_id": order["_id"], **{k: order.get(k) for k in ORDER_FIELDS}}
        view["ship_by"] = ship_by(cast(Order, order))
        view["wechat_shipping"] = shipping_shown(order)
        results.append(view if cmd.plain else mask(view))
    if cmd.plain and results:
        record_audit(
            db,
            operator,
            "personal_data_viewed",
            ",".join(v["order_id"] for v in results),
            None,
            {"reason": cmd.reason, "orders": len(results)},
        )
    return SearchResults(orders=results)
