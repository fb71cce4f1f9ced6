"""One order as the back office sees it whole: its lines, money, parcels and tracking, its
timeline, the refunds asked of WeChat Pay for it, and every operator action on it (the audit
log). Names, phones and addresses are masked (the plain view is order_search's, with a
reason); a merchant sees its own share of the order only, and only orders with its goods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.logs import mask
from retail.common.models import ORDER_ID, OUT, STRICT
from retail.common.operator import Operator
from retail.store import Db

from .records import merchant_share

SHOWN = (
    "status",
    "delivery",
    "store_id",
    "created_at",
    "pay_deadline",
    "paid_at",
    "completed_at",
    "refunded_at",
    "transaction_id",
    "lines",
    "goods_amount",
    "freight",
    "discount",
    "member_discount",
    "points_used",
    "total",
    "paid_amount",
    "coupon_id",
    "address",
    "pickup_code",
    "parcels",
    "parcel_refunds",
    "tracking",
    "timeline",
    "refund_request",
    "refund_status",
    "risk_hold",
    "failure",
)
# WeChat's copy of its shipping (orders.shipping_upload): where it stands and WeChat's last
# refusal, not the bookkeeping that keeps uploads exactly once.
SHIPPING_SHOWN = ("state", "at", "attempts", "error", "parts")  # parts: per sub-order
AUDIT_SHOWN = 50


class ShowOrder(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID


class OrderDetail(BaseModel):
    model_config = OUT
    order: dict[str, Any] = Field(description="the order (a merchant's share for a merchant)")
    refunds: list[dict[str, Any]] = Field(
        description="refunds asked of WeChat Pay for it (a merchant sees a whole order's "
        "refund without its amount)"
    )
    audit: list[dict[str, Any]] = Field(description="operator actions on it, oldest first")


def shipping_shown(order: Mapping[str, Any]) -> dict[str, Any] | None:
    """What operators see of WeChat's copy of the order's shipping, if any."""
    shipping = order.get("wechat_shipping") or {}
    shown = {k: shipping[k] for k in SHIPPING_SHOWN if k in shipping}
    if "parts" in shown:  # each sub-order's, as for the whole, with the payment's number
        paid_by = order.get("sub_transactions") or {}
        shown["parts"] = {
            number: {k: part[k] for k in ("state", "error") if k in part}
            | {"transaction_id": paid_by.get(number)}
            for number, part in shown["parts"].items()
        }
    return shown or None


def show_order(cmd: ShowOrder, *, operator: Operator, db: Db | None = None) -> OrderDetail:
    """Raises NotFound (no such order, or none of a merchant's goods in it)."""
    db = db if db is not None else database()
    order = db.orders.find_one({"_id": cmd.order_id})
    mine = operator.merchant_id
    if order is None or (mine is not None and mine not in order.get("merchant_ids", [])):
        raise NotFound(f"no order {cmd.order_id!r}")
    if mine is not None:
        order = merchant_share(order, mine)
    refunds = [
        {k: r.get(k) for k in ("amount", "status", "reason", "merchant_id", "created_at")}
        | {"out_refund_no": r["_id"]}
        # a whole order's refund is no merchant's money to see: its amount is left out
        | ({"amount": None} if mine is not None and r.get("merchant_id") is None else {})
        for r in db.refunds.find({"order_id": cmd.order_id}, sort=[("created_at", 1)])
        if mine is None or r.get("merchant_id") in (None, mine)
    ]
    audit = [
        {k: a.get(k) for k in ("operator_id", "role", "action", "at")}
        for a in db.audit_log.find({"target": cmd.order_id}, sort=[("at", 1)], limit=AUDIT_SHOWN)
        if mine is None or a.get("role") == operator.role
    ]
    view = {"order_id": order["_id"], **{k: order.get(k) for k in SHOWN}}
    view["wechat_shipping"] = shipping_shown(order)
    view["wechat_receipt"] = order.get("wechat_receipt")  # WeChat's word on receipt, settlement
    return OrderDetail(order=mask(view), refunds=refunds, audit=audit)
