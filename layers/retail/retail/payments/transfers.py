"""WeChat Pay's merchant transfer as the referral package's way to pay promoters
(referral.withdrawal_terms.Transfers), and its notification (transfer_notify).

MCHTRANSFER.BILL.FINISHED is signed and encrypted as payment notifications are; it is sent
only for a final state (SUCCESS, FAIL, CANCELLED), and applied once by the withdrawal's
conditional state change (decision 0023)."""

from __future__ import annotations

from typing import Any

from retail.common.database import database
from retail.common.logs import log
from retail.referral.withdrawal_bills import apply_bill, bill_matches
from retail.referral.withdrawal_terms import REFUSED, Bill, Transfers
from retail.store import Db

from .config import wechatpay_config
from .connect import wechatpay_client
from .notifications import Acknowledged, Notification, decrypted

FINISHED = "MCHTRANSFER.BILL.FINISHED"


def _bill(answer: dict[str, Any]) -> Bill:
    """WeChat Pay's answer as a Bill; a refusal (4xx: its error code, no state) is REFUSED
    with the code as the reason."""
    if not answer.get("state") and answer.get("code"):
        return Bill(state=REFUSED, fail_reason=str(answer["code"]))
    return Bill(
        state=str(answer.get("state") or ""),
        transfer_bill_no=answer.get("transfer_bill_no"),
        package_info=answer.get("package_info"),
        fail_reason=answer.get("fail_reason"),
    )


def _create(out_bill_no: str, openid: str, amount: int, real_name: str | None) -> Bill:
    answer = wechatpay_client().create_transfer_bill(
        out_bill_no=out_bill_no, openid=openid, amount=amount, user_name=real_name
    )
    return _bill(answer)


def _query(out_bill_no: str) -> Bill | None:
    answer = wechatpay_client().query_transfer_bill(out_bill_no)
    return _bill(answer) if answer is not None else None


def wechat_pay_transfers() -> Transfers:
    config = wechatpay_config()
    return Transfers(create=_create, query=_query, mch_id=config.mchid, app_id=config.appid)


def handle_transfer_notification(note: Notification, *, db: Db | None = None) -> Acknowledged:
    db = db if db is not None else database()
    if note.event_type != FINISHED:
        return Acknowledged(outcome="ignored")
    bill = decrypted(note)
    out_bill_no = bill.get("out_bill_no")
    if not isinstance(out_bill_no, str) or bill.get("mch_id", bill.get("mchid")) not in (
        None,
        wechatpay_config().mchid,
    ):
        return Acknowledged(outcome="ignored: not our bill")
    if not bill_matches(db, out_bill_no, bill.get("openid"), bill.get("transfer_amount")):
        log("transfer_notification_unmatched", "ERROR", out_bill_no=out_bill_no)
        return Acknowledged(outcome="ignored: no such withdrawal to this payee and amount")
    outcome = apply_bill(db, out_bill_no, _bill(bill))
    log("transfer_notification_applied", notification_id=note.id, outcome=outcome)
    return Acknowledged(outcome=outcome)
