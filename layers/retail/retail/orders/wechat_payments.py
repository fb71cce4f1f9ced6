"""The payments WeChat's trade management holds for an order, one by one.

A direct order is one payment (its transaction_id). A marketplace order (平台收付通) is paid as
a combined transaction whose sub-orders are each a payment of their own, with their own
transaction_id, in one merchant's account: WeChat holds each until its shipping is uploaded
and its buyer's receipt is behind it, and settles each on its own (docs/decisions/0025,
"The shipping of a combined payment"). So the order's shipping, receipt and settlement at
WeChat are read and written per payment: the order's one payment keeps its record on
`wechat_shipping` itself, each sub-order under `wechat_shipping.parts.<out_trade_no>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from .document import Order

_SUB_ORDER = re.compile(r"^(O\d{12}[A-Z2-9]{10})S(\d{1,2})$")


class WeChatPayment(NamedTuple):
    """One payment of the order at WeChat: the order's own, or a sub-order of its combined
    payment, paying for one merchant's goods."""

    part: str | None  # the sub-order's out_trade_no; None for the order's one payment
    transaction_id: str
    merchants: tuple[str, ...] | None  # whose goods it paid for; None: the whole order's


def wechat_payments(order: Order) -> list[WeChatPayment]:
    """The order's payments as WeChat Pay took them, in sub-order order; none if unpaid."""
    subs, paid = order.get("sub_orders") or [], order.get("sub_transactions") or {}
    if subs and paid:
        return [
            WeChatPayment(s["out_trade_no"], paid[s["out_trade_no"]], (s["merchant_id"],))
            for s in subs
            if s["out_trade_no"] in paid
        ]
    if order.get("transaction_id"):
        return [WeChatPayment(None, order["transaction_id"], None)]
    return []


def sub_order_no(order_id: str, number: int) -> str:
    """The out_trade_no of the order's `number`th sub-order (from 1)."""
    return f"{order_id}S{number}"


def sub_order_owner(out_trade_no: str) -> str | None:
    """The order a sub-order's out_trade_no belongs to, or None when it names no sub-order."""
    matched = _SUB_ORDER.match(out_trade_no)
    return matched.group(1) if matched else None


def shipping_field(payment: WeChatPayment, name: str) -> str:
    """The path of a payment's shipping record field on the order."""
    return (
        f"wechat_shipping.{name}"
        if payment.part is None
        else (f"wechat_shipping.parts.{payment.part}.{name}")
    )


def shipping_record(order: Mapping[str, Any], payment: WeChatPayment) -> Mapping[str, Any]:
    """What WeChat has of a payment's shipping, as last recorded."""
    shipping: Mapping[str, Any] = order.get("wechat_shipping") or {}
    if payment.part is None:
        return shipping
    parts: Mapping[str, Any] = shipping.get("parts") or {}
    found: Mapping[str, Any] = parts.get(payment.part) or {}
    return found
