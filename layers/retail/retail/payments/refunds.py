"""Refunds: one deterministic out_refund_no per cause, recorded before WeChat Pay is asked,
so no refund is ever sent twice; results arrive on refund_notify or through reconciliation.
A combined payment (marketplace mode) is refunded in parts, a sub-order each
(combined_refunds)."""

from __future__ import annotations

import hashlib
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.common.vocabulary import RefundStatus
from retail.orders import share_again
from retail.orders.document import Order, orders_of
from retail.orders.parcel_refunds import note_parcel_refund_status, parcel_refund_recorded
from retail.orders.refunding import (
    effects_applied,
    finish_refund,
    note_refund_status,
    refundable,
)
from retail.store import Db

from .combined_refunds import (
    Part,
    cause_status,
    ecommerce_refund,
    order_parts,
    parcel_part,
    part_no,
    query_ecommerce_refund,
    transaction_parts,
)
from .connect import wechatpay_client

PENDING, PROCESSING, ABNORMAL = RefundStatus.PENDING, RefundStatus.PROCESSING, RefundStatus.ABNORMAL
SUCCESS, CLOSED = RefundStatus.SUCCESS, RefundStatus.CLOSED
# ABNORMAL is not final: the money waits at WeChat Pay until the merchant's abnormal-refund
# handling (the merchant platform or apply-abnormal-refund) sends it on, and then it is SUCCESS
# (pay.weixin.qq.com/doc/v3/partner/4013080623).
FINAL = (SUCCESS, CLOSED)
MAX_ATTEMPTS = 5  # a CLOSED refund is asked again under a new out_refund_no, this often in all


def order_refund_no(order_id: str) -> str:
    """The refund of an order the buyer gets back (request, or sold out after paying late)."""
    return f"R{order_id}"


def parcel_refund_no(order_id: str, merchant_id: str) -> str:
    """The refund of one merchant's parcel (orders.parcel_refunds): WeChat Pay allows up to
    50 refunds of one payment, each with its own out_refund_no (at most 64 characters of
    [A-Za-z0-9_-|*@], so the merchant is named by a digest)."""
    return f"P{order_id}{hashlib.sha256(merchant_id.encode()).hexdigest()[:12]}"


def transaction_refund_no(transaction_id: str) -> str:
    """The refund of a payment we never accepted (wrong amount, paid twice)."""
    return f"T{transaction_id}"


def start_refund(db: Db, **refund: Any) -> dict[str, Any]:
    """Record the refund (once, record_refund takes `refund`), then ask WeChat Pay
    (idempotent there by out_refund_no). A failed call leaves the record PENDING for
    payment_reconcile to send again."""
    return send_recorded(db, record_refund(db, **refund))


def record_refund(
    db: Db,
    *,
    out_refund_no: str,
    order: Order,
    transaction_id: str,
    amount: int,
    total: int,
    reason: str,
    merchant_id: str | None = None,
    follows: dict[str, Any] | None = None,
    part: Part | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """The refund's record, written once: `merchant_id` names the parcel a parcel's refund is
    for, `follows` the closed refund this one asks again (`first_no`, `attempt`, and a
    part's own fields), `part` the sub-order a marketplace refund takes its money from and
    `cause` what it is a part of."""
    if part is not None:
        order = {"_id": order["_id"], "out_trade_no": part["out_trade_no"]}
        transaction_id, amount, total = part["transaction_id"] or "", part["amount"], part["total"]
        follows = {**(follows or {}), "sub_mchid": part["sub_mchid"], "cause": cause}
    now = utcnow()
    record: dict[str, Any] | None = None
    try:
        record = db.refunds.find_one_and_update(
            {"_id": out_refund_no},
            {
                "$setOnInsert": {
                    "order_id": order["_id"],
                    "out_trade_no": order["out_trade_no"],
                    "transaction_id": transaction_id,
                    "amount": amount,
                    "total": total,
                    "reason": reason,
                    "merchant_id": merchant_id,
                    **(follows or {}),
                    # nothing to ask WeChat Pay for (it refuses a refund of 0): a points
                    # shortfall can take a whole share; the refund is done as recorded
                    "status": PENDING if amount > 0 else SUCCESS,
                    "order_done": False,  # reconciliation's to-do set until the order follows
                    "created_at": now,
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:  # a concurrent start inserted it
        record = db.refunds.find_one({"_id": out_refund_no})
    assert record is not None
    return record


def send_recorded(db: Db, record: dict[str, Any]) -> dict[str, Any]:
    """Ask WeChat Pay for a recorded refund still PENDING; follow it to the order at once
    where it is final already (start_refund's second half)."""
    if record["status"] == PENDING:
        record = send_refund(db, record)
    if record["status"] in FINAL:  # at once: nothing was owed, or WeChat Pay says so
        finish_order_refund(db, record)
    return record


def refund_order(
    db: Db,
    order: Order,
    *,
    transaction_id: str,
    amount: int,
    total: int,
    reason: str,
    combined: dict[str, Any] | None = None,
) -> Order:
    """Give the buyer `amount` of the payment `total` back (WeChat Pay checks `total` against
    the transaction: it is what was paid, not what is refunded); the order shows the refund
    as PROCESSING until refund_notify or reconciliation reports how it ended. A combined
    payment is given back by its sub-orders: those of `combined` whole (a payment the order
    never took), else in proportion to what each holds."""
    cause = order_refund_no(order["_id"])
    if order.get("sub_orders"):
        parts = transaction_parts(order, combined) if combined else order_parts(order, amount)
        start_parts(db, cause, order, parts, reason)
    else:
        start_refund(
            db,
            out_refund_no=cause,
            order=order,
            transaction_id=transaction_id,
            amount=amount,
            total=total,
            reason=reason,
        )
    return note_refund_status(db, order["_id"], PROCESSING) or order


def start_parts(
    db: Db, cause: str, order: Order, parts: list[Part], reason: str
) -> list[dict[str, Any]]:
    """A marketplace refund, a record and a request per sub-order it takes money from; the
    order's split, if made, is looked at again (profit_sharing returns it)."""
    share_again(db, order["_id"], utcnow())
    # every part is recorded before any is sent: one that ends first never ends the whole
    # as if it were all (cause_status sees them all), and a crash between leaves the rest
    # PENDING for reconciliation to send
    recorded = [
        record_refund(
            db,
            out_refund_no=part_no(cause, part),
            order=order,
            transaction_id="",
            amount=0,
            total=0,
            reason=reason,
            part=part,
            cause=cause,
        )
        for part in parts
    ]
    return [send_recorded(db, record) for record in recorded]


def refund_whole_order(db: Db, order: Order) -> Order:
    """Record and send the whole refund a REFUNDING order is owed (once, by out_refund_no)."""
    order = effects_applied(db, order["_id"])  # with its points shortfall
    return refund_order(
        db,
        order,
        transaction_id=order["transaction_id"],
        amount=refundable(order),
        total=int(order["paid_amount"]),
        reason=order.get("refund_reason") or "refund approved",
    )


def refund_parcel(db: Db, order: Order, merchant_id: str) -> Order:
    """Give the buyer one merchant's parcel's share back (recorded on the order by
    orders.parcel_refunds, with its points shortfall taken off)."""
    order = effects_applied(db, order["_id"])  # the shortfall is known once they have run
    parcel = order["parcel_refunds"][merchant_id]
    amount = parcel["amount"] - parcel.get("points_shortfall", 0)
    cause = parcel_refund_no(order["_id"], merchant_id)
    start_refund(
        db,
        out_refund_no=cause,
        order=order,
        transaction_id=order["transaction_id"],
        amount=amount,
        total=int(order["paid_amount"]),
        reason=parcel["reason"],
        merchant_id=merchant_id,
        part=parcel_part(order, merchant_id, amount) if order.get("sub_orders") else None,
        cause=cause,
    )
    if order.get("sub_orders"):
        share_again(db, order["_id"], utcnow())
    parcel_refund_recorded(db, order["_id"], merchant_id)
    note_parcel_refund_status(db, order["_id"], merchant_id, PROCESSING)
    return orders_of(db).find_one({"_id": order["_id"]}) or order


def first_refund_no(record: dict[str, Any]) -> str:
    """The out_refund_no of the refund's cause: its own, or the closed one it asks again."""
    first: str = record.get("first_no") or record["_id"]
    return first


def ask_again(db: Db, record: dict[str, Any]) -> dict[str, Any] | None:
    """WeChat Pay closed the refund unpaid: it waited 7 days for the merchant's balance, and
    then "generate a new out_refund_no and apply again" (pay.weixin.qq.com/doc/v3/partner/
    4013080623). The same money is asked again under `<first>-<attempt>`, once per closed
    record; None (and an error in the log, for an operator) after MAX_ATTEMPTS."""
    attempt = int(record.get("attempt", 1))
    if attempt >= MAX_ATTEMPTS:
        log("refund_closed_for_good", "ERROR", out_refund_no=record["_id"], attempts=attempt)
        return None
    first = first_refund_no(record)
    part: dict[str, Any] = {k: record[k] for k in ("sub_mchid", "cause") if k in record}
    return start_refund(
        db,
        out_refund_no=f"{first}-{attempt + 1}",
        order={"_id": record["order_id"], "out_trade_no": record["out_trade_no"]},
        transaction_id=record["transaction_id"],
        amount=record["amount"],
        total=record["total"],
        reason=record["reason"],
        merchant_id=record.get("merchant_id"),
        follows={"first_no": first, "attempt": attempt + 1, **part},
    )


def send_refund(db: Db, record: dict[str, Any]) -> dict[str, Any]:
    client = wechatpay_client()
    try:
        if record.get("sub_mchid"):  # a sub-order of a combined payment: its merchant refunds
            answer = ecommerce_refund(client, record)
        else:
            answer = client.refund(
                out_trade_no=record["out_trade_no"],
                out_refund_no=record["_id"],
                refund=record["amount"],
                total=record["total"],
                reason=record["reason"],
            )
    except UpstreamUnavailable:
        log("refund_send_failed", "WARNING", out_refund_no=record["_id"])
        return record
    log("refund_sent", out_refund_no=record["_id"], amount=record["amount"])
    sent: dict[str, Any] | None = db.refunds.find_one_and_update(
        {"_id": record["_id"], "status": PENDING},
        {
            "$set": {
                "status": answer.get("status", PROCESSING),
                "refund_id": answer.get("refund_id"),
                "sent_at": utcnow(),
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    return sent or db.refunds.find_one({"_id": record["_id"]}) or record


def finish_order_refund(db: Db, record: dict[str, Any]) -> bool:
    """Bring the order to the refund's final status, once; False if there was nothing to do.
    A closed refund is asked again first, so the order never shows CLOSED for money that is
    still on its way."""
    if record.get("order_done") or record["status"] not in FINAL:
        return False
    tell_order(db, record, record["status"])
    if record["status"] == CLOSED and ask_again(db, record) is not None:
        tell_order(db, record, PROCESSING)
    db.refunds.update_one({"_id": record["_id"]}, {"$set": {"order_done": True}})
    return True


def query_refund(record: dict[str, Any]) -> dict[str, Any] | None:
    """The refund as WeChat Pay knows it; None if it never heard of it."""
    client = wechatpay_client()
    if record.get("sub_mchid"):
        return query_ecommerce_refund(client, record)
    return client.query_refund(record["_id"])


def tell_order(db: Db, record: dict[str, Any], status: str) -> None:
    """The order side of a refund of its parcel or of the whole order (a refund of a
    payment never accepted has none); a whole refund sent in parts, once they have all
    ended."""
    if record.get("merchant_id"):
        note_parcel_refund_status(db, record["order_id"], record["merchant_id"], status)
    elif record.get("cause", first_refund_no(record)) == order_refund_no(record["order_id"]):
        whole = cause_status(db, record) if "sub_mchid" in record else status
        finish_refund(db, record["order_id"], whole)
