"""A withdrawal's transfer bill at WeChat Pay, from its creation to its end: the bill made
once (`out_bill_no` is the withdrawal's id, so a retry is the same bill), WeChat Pay's word on
it applied once per state, and the withdrawn or returned amount moved on the promoter's
account once, under its own marker (docs/decisions/0023)."""

from __future__ import annotations

from typing import Any

from retail.common.clock import utcnow
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log, mask_name
from retail.store import Db

from .balances import mark, move_balance
from .withdrawal_terms import REFUSED, Bill, S, Transfers

FINAL_BILL = {"SUCCESS": S.WITHDRAWN, "FAIL": S.RETURNED, "CANCELLED": S.RETURNED}
# Refusals worth waiting out; any other means WeChat Pay will not make this bill.
TRANSIENT = frozenset({"FREQUENCY_LIMITED", "SYSTEM_ERROR"})
PAYEE_ERASED = "PAYEE_ERASED"  # our own fail_reason: the payee erased their account


def make_bill(db: Db, withdrawal_id: str, transfers: Transfers) -> None:
    """Create (or find again) the transfer bill of a TRANSFERRING withdrawal; WeChat Pay busy
    leaves it TRANSFERRING for the timer, which asks for the same out_bill_no."""
    doc = db.withdrawals.find_one({"_id": withdrawal_id, "state": S.TRANSFERRING})
    if doc is None:
        return
    payee = db.users.find_one({"_id": doc["openid"]}, {"erasing": 1})
    if payee is None or payee.get("erasing"):  # nobody to pay: the money stays on the books
        apply_bill(db, withdrawal_id, Bill(state="FAIL", fail_reason=PAYEE_ERASED))
        return
    try:
        bill = transfers.query(withdrawal_id) if doc.get("bill_sent") else None
        # never heard of, or waiting without the package (a query does not give it): the
        # same out_bill_no asked again is the same bill, package included
        if bill is None or (bill.state == "WAIT_USER_CONFIRM" and not bill.package_info):
            db.withdrawals.update_one({"_id": withdrawal_id}, {"$set": {"bill_sent": True}})
            name = doc.get("real_name")
            bill = transfers.create(withdrawal_id, doc["openid"], doc["amount"], name)
        if bill.state == REFUSED:
            bill = _refused(transfers, withdrawal_id, bill)
    except UpstreamUnavailable:
        log("withdrawal_transfer_later", "WARNING", withdrawal_id=withdrawal_id)
        return
    apply_bill(db, withdrawal_id, bill)


def _refused(transfers: Transfers, withdrawal_id: str, refusal: Bill) -> Bill:
    """WeChat Pay refused to make the bill. As its documents ask, the bill is looked up
    before anything else: one it has is what it says; none, and a refusal that is not
    passing (a limit, a payee WeChat Pay will not pay), ends the withdrawal as failed, so the
    money is available again. Raises UpstreamUnavailable to try later."""
    if refusal.fail_reason in TRANSIENT:
        raise UpstreamUnavailable(f"WeChat Pay: {refusal.fail_reason}")
    found_bill = transfers.query(withdrawal_id)
    if found_bill is not None:
        return found_bill
    log(
        "withdrawal_refused_by_wechat_pay",
        "WARNING",
        withdrawal_id=withdrawal_id,
        code=refusal.fail_reason,
    )
    return Bill(state="FAIL", fail_reason=refusal.fail_reason)


def apply_bill(db: Db, withdrawal_id: str, bill: Bill) -> str:
    """WeChat Pay's word on a bill (its answer, a query, or its notification): waiting for
    the promoter, or final. Once per state; returns what was done, for the log."""
    now = utcnow()
    if bill.state == "WAIT_USER_CONFIRM" and bill.package_info:
        moved = db.withdrawals.update_one(
            {"_id": withdrawal_id, "state": S.TRANSFERRING},
            {
                "$set": {
                    "state": S.WAIT_USER_CONFIRM,
                    "package_info": bill.package_info,
                    "transfer_bill_no": bill.transfer_bill_no,
                    "updated_at": now,
                }
            },
        )
        return "waiting for the promoter" if moved.modified_count else "unchanged"
    final = FINAL_BILL.get(bill.state)
    if final is None:
        return f"still {bill.state}"
    db.withdrawals.update_one(
        {"_id": withdrawal_id, "state": {"$in": [S.TRANSFERRING, S.WAIT_USER_CONFIRM]}},
        {
            "$set": {
                "state": final,
                "fail_reason": bill.fail_reason,
                "transfer_bill_no": bill.transfer_bill_no,
                "balance_due": True,
                "updated_at": now,
                "ended_at": now,
            }
        },
    )
    settle_balance(db, withdrawal_id)
    return str(final)


def settle_balance(db: Db, withdrawal_id: str) -> None:
    """An ended withdrawal's amount leaves withdrawing once: into withdrawn, or back to
    available (debt first) for one returned or rejected."""
    doc = db.withdrawals.find_one({"_id": withdrawal_id, "balance_due": True})
    if doc is None:
        return
    openid, amount = doc["openid"], doc["amount"]
    marker = f"ops.{withdrawal_id}_end"
    if doc["state"] == S.WITHDRAWN:
        mark(db, openid, marker, {"withdrawing": -amount, "withdrawn": amount}, {})
    else:  # back to the promoter: out of withdrawing, then credited (any debt paid first)
        mark(db, openid, f"{marker}_out", {"withdrawing": -amount}, {})
        move_balance(db, openid, marker, amount)
    db.withdrawals.update_one(
        {"_id": withdrawal_id},
        {"$unset": {"balance_due": "", "real_name": ""}, "$set": {"payee": _payee(doc)}},
    )


def _payee(doc: dict[str, Any]) -> str | None:
    """What the quarterly report keeps of a real name WeChat Pay was given: masked."""
    name = doc.get("real_name")
    return mask_name(name) if name else doc.get("payee")


def bill_matches(db: Db, out_bill_no: str, openid: Any, amount: Any) -> bool:
    """Whether WeChat Pay's word names one of our withdrawals, to its payee and amount."""
    doc = db.withdrawals.find_one({"_id": out_bill_no}, {"openid": 1, "amount": 1})
    return doc is not None and doc["openid"] == openid and doc["amount"] == amount
