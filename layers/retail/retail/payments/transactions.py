"""Applying a WeChat Pay transaction to our orders exactly once, whoever reports it
(payment_notify or payment_reconcile) and however often. A combined payment (marketplace
mode) is read as one transaction whose sub-orders must be exactly the order's plan."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from retail.common.errors import Conflict
from retail.common.logs import log
from retail.orders.document import Order, orders_of
from retail.orders.payment import mark_paid
from retail.orders.records import CANCELLED, FAILED, RESERVING
from retail.risk import record_risk_event
from retail.store import Db

from .combined import as_transaction, query_combined, sub_orders_match, sub_transactions
from .combined_refunds import transaction_parts
from .config import WeChatPayConfig
from .connect import wechatpay_client
from .refunds import refund_order, start_parts, start_refund, transaction_refund_no


def query_transaction(order: Order) -> dict[str, Any] | None:
    """The order's payment as WeChat Pay knows it (a combined one as one transaction)."""
    client = wechatpay_client()
    if order.get("sub_orders"):
        combined = query_combined(client, order["out_trade_no"])
        return as_transaction(combined) if combined is not None else None
    return client.query_payment(order["out_trade_no"])


def apply_transaction(db: Db, config: WeChatPayConfig, tx: dict[str, Any]) -> str:
    """What happened, as a word for the logs. Raises Conflict while another worker is in the
    middle of the same order (WeChat Pay then simply sends again)."""
    if "combine_out_trade_no" in tx:  # a combined payment's notification
        tx = as_transaction(tx)
    if tx.get("trade_state") not in ("SUCCESS", "PARTIAL"):
        return "not_paid"
    # out_trade_no is the order's id (orders.records): found by the primary key, however
    # many orders the store holds (no index covers out_trade_no).
    order = orders_of(db).find_one({"_id": tx["out_trade_no"], "out_trade_no": tx["out_trade_no"]})
    amount = int((tx.get("amount") or {}).get("total", -1))
    if order is None:
        _risk(db, "payment_for_unknown_order", tx)
        return "unknown_order"
    ours = (tx.get("mchid"), tx.get("appid")) == (config.mchid, config.appid)
    planned = sub_orders_match(order, tx) if tx.get("combined") else "sub_orders" not in order
    whole = tx["trade_state"] == "SUCCESS"
    if not ours or not planned or not whole or amount != order["total"]:
        _risk(db, "payment_mismatch", tx, order_total=order["total"])
        _refund_transaction(db, order, tx, amount, "payment did not match the order")
        return "mismatch_refunded"
    if order.get("transaction_id") == tx["transaction_id"]:
        return "duplicate"
    subs = sub_transactions(tx) if tx.get("combined") else None
    told = _success_time(tx)  # to the second: never before the order was placed
    paid_at = max(told, order["created_at"]) if told else None
    if mark_paid(db, order["_id"], tx["transaction_id"], amount, paid_at, sub_transactions=subs):
        return "paid"
    order = orders_of(db).find_one({"_id": order["_id"]}) or order
    if order.get("transaction_id") == tx["transaction_id"]:
        return "duplicate"
    if order["status"] == RESERVING:
        raise Conflict("the order is being reserved again; retry shortly")
    if order["status"] in (CANCELLED, FAILED):
        return _paid_after_cancel(db, order, tx, amount)
    _risk(db, "paid_twice", tx, paid_by=order.get("transaction_id"))
    _refund_transaction(db, order, tx, amount, "the order was already paid")
    return "second_payment_refunded"


def _success_time(tx: dict[str, Any]) -> datetime | None:
    """When WeChat Pay says the payment succeeded (its bill counts the payment on that day),
    or None to take now."""
    told = tx.get("success_time") or next(
        (s.get("success_time") for s in tx.get("sub_orders") or [] if s.get("success_time")), None
    )
    try:
        when = datetime.fromisoformat(str(told)) if told else None
    except ValueError:
        return None
    return when.astimezone(timezone.utc) if when and when.tzinfo else None


def _paid_after_cancel(db: Db, order: Order, tx: dict[str, Any], amount: int) -> str:
    """Money for an order that was cancelled (or failed) is given back whole; the order stays
    as it is. Its stock, coupon and points went back when it was cancelled, so keeping the
    sale would sell them twice (docs/decisions/0011-order-transitions.md)."""
    log("late_payment_refunded", "WARNING", order_id=order["_id"], status=order["status"])
    refund_order(
        db,
        order,
        transaction_id=tx["transaction_id"],
        amount=amount,
        total=amount,
        reason="the order was cancelled before the payment arrived",
        combined=tx if tx.get("combined") else None,
    )
    return "late_payment_refunded"


def _refund_transaction(db: Db, order: Order, tx: dict[str, Any], amount: int, reason: str) -> None:
    if tx.get("combined"):  # given back by each sub-order's merchant
        cause = transaction_refund_no(tx["transaction_id"])
        start_parts(db, cause, order, transaction_parts(order, tx), reason)
        return
    start_refund(
        db,
        out_refund_no=transaction_refund_no(tx["transaction_id"]),
        order=order,
        transaction_id=tx["transaction_id"],
        amount=amount,
        total=amount,
        reason=reason,
    )


def _risk(db: Db, kind: str, tx: dict[str, Any], **evidence: Any) -> None:
    """A risk event operators review; keyed by (kind, transaction) so replays add nothing."""
    record_risk_event(
        db,
        f"{kind}:{tx.get('transaction_id')}",
        kind,
        "flag",
        order_id=tx.get("out_trade_no"),
        transaction_id=tx.get("transaction_id"),
        mchid=tx.get("mchid"),
        appid=tx.get("appid"),
        amount=tx.get("amount"),
        **evidence,
    )
