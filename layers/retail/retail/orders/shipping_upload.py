"""Uploading an order's shipping information to WeChat, exactly as the order stands, until
WeChat has it (docs/decisions/0020-wechat-shipping-information.md).

A change that sends goods on their way (a parcel handed to a carrier, a rider's pickup, a
pickup at the store, a membership paid) sets `shipping_due` on the order in the same
conditional update: the order is in the to-do set of `shipping_sync` (a partial index). The
operator's call uploads at once; the timer (orders.shipping_sync) uploads what a call could
not (WeChat busy, a payment WeChat has not indexed yet, a process that died) with a growing
pause between tries.

Exactly once, as WeChat counts it: the body carries everything shipped so far; what WeChat
accepted is kept as a fingerprint, so the same information is never sent twice (a finished
payment's second upload spends its one re-shipping); an upload whose answer never came is
checked with `get_order` before it is sent again. An upload leaves the to-do set only if no
change came after the one it read (`shipping_due` as read). A combined payment's sub-orders
are payments of their own at WeChat, each uploaded and recorded on its own
(orders.wechat_payments); the order's state is the whole's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pymongo import ReturnDocument

from retail.adapters.wechat import WeChatApi, errcode_of, wechat_api
from retail.common.batches import Outcome
from retail.common.clock import utcnow
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.common.vocabulary import ShippingUpload
from retail.store import Db

from .document import Order, orders_of
from .shipping_info import (
    EXPRESS,
    UNIFIED,
    fingerprint,
    never_shipping,
    presale_delay_to,
    shipping_uploads,
)
from .wechat_payments import WeChatPayment, shipping_field, shipping_record, wechat_payments

UPLOAD = "/wxa/sec/order/upload_shipping_info"
GET_ORDER = "/wxa/sec/order/get_order"
SPECIAL_ORDER = "/wxa/sec/order/opspecialorder"
PRESALE = 1  # opspecialorder's type: a pre-sale order (2 is a test order)
NOT_YET_KNOWN = 268546002  # opspecialorder: WeChat has no such order waiting (yet)
ACCEPTED = frozenset({0, 10060023})  # 10060023: WeChat already has exactly this
# Busy, system errors, and a payment WeChat has not indexed yet (its staff: about a minute).
RETRY = frozenset({-1, 10060001, 10060012, 10060019})
NOT_SHIPPABLE = 10060004  # refunded, or otherwise closed to shipping on WeChat's side
LONGEST_PAUSE = timedelta(hours=1)
# Tries before a payment WeChat still does not know (10060001: paid before the merchant
# account joined trade management, in the developer tools' test environment, abroad) is left
# FAILED for an operator: about a day, with the pauses above.
MOST_ATTEMPTS = 30
LEASE = timedelta(minutes=2)  # longer than any call runs (60 s): a holder past it is gone


def shipping_due(now: datetime) -> dict[str, Any]:
    """The mark a change sets with itself: WeChat must hear of this order's shipping, with
    the tries counted afresh (a new shipment is new news)."""
    return {"shipping_due": now, "wechat_shipping.attempts": 0}


def upload_shipping(
    db: Db, order_id: str, *, api: WeChatApi | None = None, now: datetime | None = None
) -> Outcome:
    """Tell WeChat how the order ships now, if it is due; never raises for WeChat's answer
    (it is recorded on the order for operators, and the timer tries again when it may)."""
    now = now or utcnow()
    order = _claim(db, order_id, now)
    if order is None:  # not due, or another call is uploading it (the timer comes back)
        return "skipped"
    api = api or wechat_api()
    try:
        return _upload(db, order, api, now)
    except UpstreamUnavailable as exc:
        _retry_later(db, order, now, {"errcode": -1, "errmsg": str(exc)})
        return "failed"


def _claim(db: Db, order_id: str, now: datetime) -> Order | None:
    """The due order, held for this call alone: two uploads of one order at once could reach
    WeChat in the wrong order, the older news last (and spend the re-shipping). The body is
    built from the order as read by the claim, after every change that set it due."""
    claimed_at = utcnow()
    held: Order | None = orders_of(db).find_one_and_update(
        {
            "_id": order_id,
            "shipping_due": {"$lte": now},
            "$or": [
                {"wechat_shipping.lease": None},
                {"wechat_shipping.lease": {"$lt": claimed_at - LEASE}},  # its holder died
            ],
        },
        {"$set": {"wechat_shipping.lease": claimed_at}},
        return_document=ReturnDocument.AFTER,
    )
    return held


class _Answer(NamedTuple):
    """How one payment's upload went: its state, WeChat's refusal if any, whether to try
    again later, whether WeChat was told something new."""

    state: ShippingUpload
    error: dict[str, Any] | None = None
    retry: bool = False
    sent: bool = False


def _upload(db: Db, order: Order, api: WeChatApi, now: datetime) -> Outcome:
    if not api.is_trade_managed():
        _done(db, order, ShippingUpload.NOT_MANAGED, now)
        return "skipped"
    uploads = shipping_uploads(order, now)
    if not uploads:
        return _nothing_out_yet(db, order, api, now)
    answers = {p: _upload_payment(db, order, api, p, body) for p, body in uploads}
    for payment in never_shipping(order):
        if shipping_record(order, payment).get("state") != ShippingUpload.NOT_SHIPPABLE:
            _record(db, order, payment, ShippingUpload.NOT_SHIPPABLE)
        answers[payment] = _Answer(ShippingUpload.NOT_SHIPPABLE)
    retry = next((a.error for a in answers.values() if a.retry), None)
    if retry is not None:
        _retry_later(db, order, now, retry)
        return "failed"
    error = next((a.error for a in answers.values() if a.error), None)
    _done(db, order, _whole(order, answers), now, error=error)
    if error is not None:
        return "failed"
    return "processed" if any(a.sent for a in answers.values()) else "skipped"


def _upload_payment(
    db: Db, order: Order, api: WeChatApi, payment: WeChatPayment, body: dict[str, Any]
) -> _Answer:
    """One payment's upload, unless WeChat has it already; what WeChat accepted or refused
    for good is recorded on the payment's record at once."""
    said = fingerprint(body)
    record = shipping_record(order, payment)
    if said == record.get("fingerprint"):  # WeChat has exactly this already
        return _Answer(ShippingUpload.UPLOADED)
    if record.get("sending") == said and _wechat_has(api, payment, body):
        _record(db, order, payment, ShippingUpload.UPLOADED, said)  # its answer was lost
        return _Answer(ShippingUpload.UPLOADED, sent=True)
    field = shipping_field(payment, "sending")
    orders_of(db).update_one({"_id": order["_id"]}, {"$set": {field: said}})
    answer = api.call(UPLOAD, body)
    errcode = errcode_of(answer)
    if errcode in ACCEPTED:
        _record(db, order, payment, ShippingUpload.UPLOADED, said)
        log("shipping_uploaded", order_id=order["_id"], logistics=body["logistics_type"])
        return _Answer(ShippingUpload.UPLOADED, sent=True)
    error = _refusal(answer, errcode)
    if errcode in RETRY and _attempts(order) < MOST_ATTEMPTS:
        return _Answer(ShippingUpload.RETRYING, error, retry=True)
    state = ShippingUpload.NOT_SHIPPABLE if errcode == NOT_SHIPPABLE else ShippingUpload.FAILED
    log("shipping_upload_refused", "ERROR", order_id=order["_id"], part=payment.part, **error)
    _record(db, order, payment, state, error=error)
    return _Answer(state, error)


def _record(
    db: Db,
    order: Order,
    payment: WeChatPayment,
    state: ShippingUpload,
    said: str | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    """A sub-order's shipping at WeChat as it now is (the order's one payment has its
    record written with the order's own, by _done)."""
    if payment.part is None:
        if said is not None:  # what WeChat has, whatever happens next
            orders_of(db).update_one(
                {"_id": order["_id"]}, {"$set": {"wechat_shipping.fingerprint": said}}
            )
        return
    record: dict[str, Any] = {shipping_field(payment, "state"): state}
    if said is not None:
        record[shipping_field(payment, "fingerprint")] = said
    if error is not None:
        record[shipping_field(payment, "error")] = error
    unset = {shipping_field(payment, "sending"): ""}
    if error is None:
        unset[shipping_field(payment, "error")] = ""
    orders_of(db).update_one({"_id": order["_id"]}, {"$set": record, "$unset": unset})


def _whole(order: Order, answers: dict[WeChatPayment, _Answer]) -> ShippingUpload:
    """The order's shipping state from its payments' (those not uploaded now as recorded):
    FAILED while any is, for an operator to see; else UPLOADED once any is."""
    states = [
        answers[p].state if p in answers else shipping_record(order, p).get("state")
        for p in wechat_payments(order)
    ]
    for state in (ShippingUpload.FAILED, ShippingUpload.UPLOADED):
        if state in states:
            return state
    return ShippingUpload.NOT_SHIPPABLE


def _nothing_out_yet(db: Db, order: Order, api: WeChatApi, now: datetime) -> Outcome:
    """Due with nothing shipped: a pre-sale order that ships more than 15 days after payment
    is reported to WeChat as such once, each of its payments (opspecialorder); an order paid
    without WeChat Pay has nothing WeChat holds."""
    payments = wechat_payments(order)
    if not payments:
        _done(db, order, ShippingUpload.NOT_NEEDED, now)
        return "skipped"
    delay_to = presale_delay_to(order)
    if delay_to is None or (order.get("wechat_shipping") or {}).get("presale_reported_at"):
        _done(db, order, None, now)
        return "skipped"
    for payment in payments:
        report = {"order_id": payment.transaction_id, "type": PRESALE, "delay_to": delay_to}
        answer = api.call(SPECIAL_ORDER, report)
        errcode = errcode_of(answer)
        if errcode == 0:
            continue
        error = _refusal(answer, errcode)
        if (errcode in RETRY or errcode == NOT_YET_KNOWN) and _attempts(order) < MOST_ATTEMPTS:
            _retry_later(db, order, now, error)
        else:
            log("presale_report_refused", "ERROR", order_id=order["_id"], **error)
            _done(db, order, ShippingUpload.FAILED, now, error=error)
        return "failed"
    _done(db, order, None, now, marks={"wechat_shipping.presale_reported_at": now})
    return "processed"


def _wechat_has(api: WeChatApi, payment: WeChatPayment, body: dict[str, Any]) -> bool:
    """Whether WeChat's record of the payment already shows this shipping (get_order); an
    answer it cannot read shows nothing."""
    answer = api.call(GET_ORDER, {"transaction_id": payment.transaction_id})
    found = answer.get("order") if errcode_of(answer) == 0 else None
    shipping = found.get("shipping") if isinstance(found, dict) else None
    if not isinstance(shipping, dict) or shipping.get("logistics_type") != body["logistics_type"]:
        return False
    finished = body["delivery_mode"] == UNIFIED or bool(body.get("is_all_delivered"))
    if bool(shipping.get("finish_shipping")) != finished:
        return False
    if body["logistics_type"] != EXPRESS:
        return True
    listed = shipping.get("shipping_list")
    theirs = {
        (p.get("express_company"), p.get("tracking_no"))
        for p in (listed if isinstance(listed, list) else [])
        if isinstance(p, dict)
    }
    ours = {(p["express_company"], p["tracking_no"]) for p in body["shipping_list"]}
    return theirs == ours


def _done(
    db: Db,
    order: Order,
    state: ShippingUpload | None,
    now: datetime,
    error: dict[str, Any] | None = None,
    marks: dict[str, Any] | None = None,
) -> None:
    """Record the outcome (the state None: unchanged); the order leaves the to-do set unless
    a change came since."""
    record: dict[str, Any] = {"wechat_shipping.at": now, **(marks or {})}
    if state is not None:
        record["wechat_shipping.state"] = state
    if error is not None:
        record["wechat_shipping.error"] = {**error, "at": now}
    released = {"wechat_shipping.sending": "", "wechat_shipping.lease": ""}
    cleared = dict(released)
    if error is None:  # a refusal keeps its error and the tries it took
        cleared.update({"wechat_shipping.error": "", "wechat_shipping.attempts": ""})
    left = orders_of(db).update_one(
        {"_id": order["_id"], "shipping_due": order["shipping_due"]},
        {"$set": record, "$unset": {"shipping_due": "", **cleared}},
    )
    if not left.matched_count:  # a newer change is due: record what WeChat has, let go
        unset = released if error is not None else {**released, "wechat_shipping.error": ""}
        orders_of(db).update_one({"_id": order["_id"]}, {"$set": record, "$unset": unset})


def _retry_later(db: Db, order: Order, now: datetime, error: dict[str, Any]) -> None:
    """Try again after a pause that doubles with each failure: 1, 2, 4 ... minutes, up to an
    hour. An operator sees the last error on the order."""
    attempts = _attempts(order) + 1
    pause = min(timedelta(minutes=2 ** (attempts - 1)), LONGEST_PAUSE)
    log("shipping_upload_later", "WARNING", order_id=order["_id"], attempts=attempts, **error)
    paused = orders_of(db).update_one(
        {"_id": order["_id"], "shipping_due": order["shipping_due"]},
        {
            "$set": {
                "shipping_due": now + pause,
                "wechat_shipping.state": ShippingUpload.RETRYING,
                "wechat_shipping.attempts": attempts,
                "wechat_shipping.error": {**error, "at": now},
                "wechat_shipping.at": now,
            },
            "$unset": {"wechat_shipping.lease": ""},
        },
    )
    if not paused.matched_count:  # a newer change is due now: the next call takes it
        orders_of(db).update_one({"_id": order["_id"]}, {"$unset": {"wechat_shipping.lease": ""}})


def _refusal(answer: dict[str, Any], errcode: int) -> dict[str, Any]:
    """What an operator sees of a WeChat answer that was not an acceptance."""
    return {"errcode": errcode, "errmsg": str(answer.get("errmsg") or "")}


def _attempts(order: Order) -> int:
    return int((order.get("wechat_shipping") or {}).get("attempts") or 0)
