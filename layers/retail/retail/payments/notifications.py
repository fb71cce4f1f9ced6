"""payment_notify and refund_notify: verify, decrypt, apply once, acknowledge.

The runtime has already refused anything whose signature, serial or timestamp fails
(`is_from_wechatpay`); what reaches these functions is genuine and only needs decrypting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pymongo import ReturnDocument

from retail.common.database import database
from retail.common.errors import InvalidArgument
from retail.common.faults import fault_point
from retail.common.logs import log
from retail.common.models import OUT
from retail.store import Db

from . import crypto
from .config import wechatpay_config
from .refunds import (
    ABNORMAL,
    CLOSED,
    FINAL,
    PENDING,
    PROCESSING,
    finish_order_refund,
    tell_order,
)
from .transactions import apply_transaction
from .verification import Rejected, check_signed

LENIENT = ConfigDict(extra="ignore", defer_build=True)  # WeChat Pay may add fields at any time


class Resource(BaseModel):
    model_config = LENIENT
    algorithm: str
    ciphertext: str
    nonce: str
    associated_data: str | None = None
    original_type: str | None = None


class Notification(BaseModel):
    model_config = LENIENT
    id: str = Field(max_length=64)
    event_type: str = Field(max_length=64)
    resource_type: Literal["encrypt-resource"]
    resource: Resource
    create_time: str | None = None
    summary: str | None = None


class Acknowledged(BaseModel):
    model_config = OUT
    outcome: str


def is_from_wechatpay(body: bytes, headers: dict[str, str], _query: dict[str, str]) -> bool:
    try:
        check_signed(wechatpay_config(), headers, body.decode("utf-8"))
    except (Rejected, UnicodeDecodeError) as exc:
        log("wechatpay_notification_rejected", "WARNING", reason=str(exc))
        return False
    return True


def decrypted(note: Notification) -> dict[str, Any]:
    try:
        return crypto.decrypt_resource(note.resource.model_dump(), wechatpay_config().apiv3_key)
    except ValueError as exc:
        raise InvalidArgument("the resource does not decrypt") from exc


def handle_payment_notification(note: Notification, *, db: Db | None = None) -> Acknowledged:
    db = db if db is not None else database()
    if note.event_type != "TRANSACTION.SUCCESS":
        return Acknowledged(outcome="ignored")
    outcome = apply_transaction(db, wechatpay_config(), decrypted(note))
    log("payment_notification_applied", notification_id=note.id, outcome=outcome)
    return Acknowledged(outcome=outcome)


def handle_refund_notification(note: Notification, *, db: Db | None = None) -> Acknowledged:
    db = db if db is not None else database()
    result = decrypted(note)
    outcome = apply_refund_result(db, result)
    log("refund_notification_applied", notification_id=note.id, outcome=outcome)
    return Acknowledged(outcome=outcome)


def apply_refund_result(db: Db, result: dict[str, Any]) -> str:
    """SUCCESS or CLOSED for one refund, recorded once; an order refund that succeeded
    completes the order's REFUNDING -> REFUNDED, a closed one is asked again. The record goes
    final first and is marked `order_done` only after the order followed, so a crash in
    between is finished by the retried notification or by payment_reconcile. ABNORMAL is
    noted (the order shows it) and stays open for the SUCCESS its handling brings."""
    status = result.get("refund_status") or result.get("status")
    if status == "CLOSE":  # 平台收付通's older word for CLOSED (WxJava's RefundNotifyResult)
        status = CLOSED
    if status == ABNORMAL:
        return _note_abnormal(db, result)
    if status not in FINAL:
        return "pending"
    record = db.refunds.find_one_and_update(
        {"_id": result["out_refund_no"], "status": {"$nin": list(FINAL)}},
        {
            "$set": {
                "status": status,
                "refund_id": result.get("refund_id"),
                "finished_at": result.get("success_time"),
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    if record is not None:
        fault_point("refund_notify:after_refund_final")
        finish_order_refund(db, record)
        return f"refund_{status.lower()}"
    known = db.refunds.find_one({"_id": result["out_refund_no"]})
    if known is None:
        return "unknown"
    finish_order_refund(db, known)  # a crash may have stopped the first delivery here
    return "duplicate"


def _note_abnormal(db: Db, result: dict[str, Any]) -> str:
    record = db.refunds.find_one_and_update(
        {"_id": result["out_refund_no"], "status": {"$in": [PENDING, PROCESSING]}},
        {"$set": {"status": ABNORMAL, "refund_id": result.get("refund_id")}},
        return_document=ReturnDocument.AFTER,
    )
    known = record or db.refunds.find_one({"_id": result["out_refund_no"]})
    if known is None:
        return "unknown"
    if known["status"] == ABNORMAL:  # noted again after a crash: the note is idempotent
        tell_order(db, known, ABNORMAL)
    return "refund_abnormal" if record is not None else "duplicate"
