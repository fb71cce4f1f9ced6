"""Marketplace refunds (平台收付通 退款; docs/decisions/0025): WeChat Pay refunds a combined
payment sub-order by sub-order, each from its own merchant's account
(`/v3/ecommerce/refunds/apply`, with that sub-order's sub_mchid, out_trade_no and total).

A refund's cause (the whole order, a parcel, a payment we never accepted) keeps its
out_refund_no as today; in marketplace mode it is sent as parts, one per sub-order it takes
money from, each recorded under `<cause>S<n>` with the cause named. A parcel's refund is one
part, its merchant's sub-order. The order follows a refund of the whole order once every part
has ended (refunds.tell_order asks `cause_status`).
"""

from __future__ import annotations

import urllib.parse
from typing import Any, TypedDict

from retail.common.vocabulary import RefundStatus
from retail.orders.document import Order, SubOrder
from retail.store import Db

from .client import WeChatPayClient
from .combined import MAX_SUB_ORDERS, TAKEN, in_proportion

REFUNDS = "/v3/ecommerce/refunds"


class Part(TypedDict):
    """What one sub-order gives back of a refund."""

    number: int  # the sub-order's place in the payment, from 1
    out_trade_no: str  # the sub-order's
    sub_mchid: str
    transaction_id: str | None
    amount: int  # refunded
    total: int  # the sub-order's total_amount, as WeChat Pay checks it


def part_no(cause: str, part: Part) -> str:
    return f"{cause}S{part['number']}"


def order_parts(order: Order, amount: int) -> list[Part]:
    """`amount` of the order's payment given back, from each sub-order in proportion to what
    it still holds (its amount less its parcel's refund), so none gives back more than it
    took."""
    plan = order["sub_orders"]
    held = {s["out_trade_no"]: s["amount"] - _parcel_refunded(order, s) for s in plan}
    shares = in_proportion(min(amount, sum(held.values())), held)
    return [
        _part(order, number, sub, shares[sub["out_trade_no"]])
        for number, sub in enumerate(plan, start=1)
        if shares[sub["out_trade_no"]] > 0
    ]


def parcel_part(order: Order, merchant_id: str, amount: int) -> Part:
    """A parcel's refund: its merchant's sub-order only."""
    for number, sub in enumerate(order["sub_orders"], start=1):
        if sub["merchant_id"] == merchant_id:  # never more than the sub-order took
            return _part(order, number, sub, min(amount, sub["amount"]))
    raise LookupError(f"no sub-order of merchant {merchant_id} in order {order['_id']}")


def transaction_parts(order: Order, tx: dict[str, Any]) -> list[Part]:
    """A combined payment given back whole: each sub-order WeChat Pay took money in (paid,
    or paid and partly refunded since), whole, as WeChat Pay reported it (the plan names a
    sub-order's merchant where the report does not). A part is numbered by the plan, so a
    report that lists the sub-orders in another order names the same parts; a sub-order the
    plan does not know is numbered after the plan's, by its out_trade_no."""
    planned = {s["out_trade_no"]: n for n, s in enumerate(order.get("sub_orders") or [], 1)}
    merchants = {s["out_trade_no"]: s["sub_mchid"] for s in order.get("sub_orders") or []}
    unknown = sorted(str(s.get("out_trade_no")) for s in tx["sub_orders"])
    parts: list[Part] = []
    for sub in tx["sub_orders"]:
        out_trade_no = str(sub.get("out_trade_no"))
        sub_mchid = sub.get("sub_mchid") or merchants.get(out_trade_no)
        total = int((sub.get("amount") or {}).get("total_amount", 0))
        if sub.get("trade_state") not in TAKEN or not sub_mchid or total <= 0:
            continue  # nothing was taken there, or nobody we could ask to give it back
        number = planned.get(out_trade_no) or MAX_SUB_ORDERS + 1 + unknown.index(out_trade_no)
        parts.append(
            Part(
                number=number,
                out_trade_no=out_trade_no,
                sub_mchid=str(sub_mchid),
                transaction_id=sub.get("transaction_id"),
                amount=total,
                total=total,
            )
        )
    return sorted(parts, key=lambda part: part["number"])


def _part(order: Order, number: int, sub: SubOrder, amount: int) -> Part:
    return Part(
        number=number,
        out_trade_no=sub["out_trade_no"],
        sub_mchid=sub["sub_mchid"],
        transaction_id=(order.get("sub_transactions") or {}).get(sub["out_trade_no"]),
        amount=amount,
        total=sub["amount"],
    )


def _parcel_refunded(order: Order, sub: SubOrder) -> int:
    parcel = (order.get("parcel_refunds") or {}).get(sub["merchant_id"])
    return parcel["amount"] - parcel.get("points_shortfall", 0) if parcel else 0


def ecommerce_refund(client: WeChatPayClient, record: dict[str, Any]) -> dict[str, Any]:
    """Ask the sub-merchant's refund (its answer holds no status: it is PROCESSING)."""
    answer = client.call(
        "POST",
        f"{REFUNDS}/apply",
        {
            "sub_mchid": record["sub_mchid"],
            "sp_appid": client.config.appid,
            "out_trade_no": record["out_trade_no"],
            "out_refund_no": record["_id"],
            "reason": record["reason"][:80],
            "amount": {"refund": record["amount"], "total": record["total"], "currency": "CNY"},
            "notify_url": client.config.refund_notify_url,
        },
    )
    return answer or {}


def query_ecommerce_refund(
    client: WeChatPayClient, record: dict[str, Any]
) -> dict[str, Any] | None:
    number = urllib.parse.quote(record["_id"], safe="")
    sub_mchid = urllib.parse.quote(record["sub_mchid"], safe="")
    path = f"{REFUNDS}/out-refund-no/{number}?sub_mchid={sub_mchid}"
    return client.call("GET", path, None, missing_ok=True)


def cause_status(db: Db, record: dict[str, Any]) -> str:
    """Where a refund sent in parts stands as a whole: SUCCESS once every part succeeded;
    ABNORMAL or CLOSED while a part is (a closed part is asked again under a new number,
    whose record is then the part's latest); PROCESSING otherwise."""
    latest: dict[str, dict[str, Any]] = {}
    for part in db.refunds.find({"order_id": record["order_id"], "cause": record["cause"]}):
        key = part.get("first_no") or part["_id"]
        if key not in latest or part.get("attempt", 1) > latest[key].get("attempt", 1):
            latest[key] = part
    statuses = {str(p["status"]) for p in latest.values()}
    for status in (RefundStatus.ABNORMAL, RefundStatus.CLOSED):
        if status in statuses:
            return status
    return RefundStatus.SUCCESS if statuses == {RefundStatus.SUCCESS} else RefundStatus.PROCESSING
