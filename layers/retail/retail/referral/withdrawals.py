"""Withdrawals: a promoter's available commission paid to their WeChat balance through WeChat
Pay's merchant transfer (商家转账, scene 1005 佣金报酬), exactly once (docs/decisions/0023).

A withdrawal is written first (CLAIMING), then its amount moves from available to withdrawing
in one conditional update of the promoter's account under a marker naming it: so a crash
between them is finished by the timer, and two withdrawals at once never take more than was
available. Then either an operator reviews it (REVIEWING, above RETAIL_WITHDRAW_REVIEW_ABOVE_FEN,
withdrawal_review.py) or its transfer bill is created (TRANSFERRING, withdrawal_bills.py), which
ends it WITHDRAWN or RETURNED. This module holds the promoter's request, its caps, the claim on
the balance, and the timer that finishes what calls left.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from retail.common.clock import business_day, day_of, utcnow
from retail.common.database import database
from retail.common.errors import (
    Conflict,
    Forbidden,
    InvalidArgument,
    Reason,
    UpstreamUnavailable,
    error_fields,
    found,
)
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.settings import settings
from retail.risk import DEVICE_ID, guard_withdrawal, signals_for
from retail.store import Db

from .balances import account_of, mark, marked
from .withdrawal_bills import apply_bill, make_bill, settle_balance
from .withdrawal_terms import OPEN, S, Transfers, WithdrawalState, WithdrawalView, view_of

REAL_NAME_FROM_FEN = 200_000  # WeChat Pay asks the payee's real name from 2,000 yuan
STUCK = timedelta(minutes=2)  # a step older than this belongs to a call that is gone


class Withdraw(BaseModel):
    model_config = STRICT
    amount: int = Field(gt=0, le=10_000_000, description="fen")
    real_name: str | None = Field(
        None, min_length=2, max_length=30, description="needed from 2,000 yuan (WeChat Pay)"
    )
    device_id: str | None = Field(None, pattern=DEVICE_ID)


class SyncWithdrawals(BaseModel):
    model_config = STRICT


class WithdrawalsSynced(BaseModel):
    model_config = OUT
    looked_at: int = Field(description="withdrawals finished or asked about at WeChat Pay")


def withdraw(
    cmd: Withdraw, *, openid: str, transfers: Transfers, db: Db | None = None
) -> WithdrawalView:
    """Raises InvalidArgument (under the minimum; the real name missing where WeChat Pay
    needs it), Forbidden (NEW_ACCOUNT, RISK_BLOCKED, a cap), Conflict (more than available)."""
    db = db if db is not None else database()
    config, now = settings(), utcnow()
    if cmd.amount < config.RETAIL_WITHDRAW_MIN_FEN:
        raise InvalidArgument(f"withdraw at least {config.RETAIL_WITHDRAW_MIN_FEN} fen")
    if cmd.amount >= REAL_NAME_FROM_FEN and not cmd.real_name:
        raise InvalidArgument("WeChat Pay needs the payee's real name from 2,000 yuan")
    user = db.users.find_one({"_id": openid}, {"first_seen_at": 1, "erasing": 1}) or {}
    if user.get("erasing"):
        raise Forbidden("this account is being erased")
    age = timedelta(seconds=config.RETAIL_WITHDRAW_MIN_ACCOUNT_AGE_SECONDS)
    if user.get("first_seen_at") is None or user["first_seen_at"] > now - age:
        raise Forbidden("new accounts withdraw later", reason=Reason.NEW_ACCOUNT)
    withdrawal_id = "W" + secrets.token_hex(12).upper()
    guard_withdrawal(db, signals_for(openid, device=cmd.device_id), withdrawal_id, now)
    doc = {
        "_id": withdrawal_id,
        "openid": openid,
        "amount": cmd.amount,
        "state": S.CLAIMING,
        "real_name": cmd.real_name if cmd.amount >= REAL_NAME_FROM_FEN else None,
        "created_at": now,
        "updated_at": now,
    }
    db.withdrawals.insert_one(doc)
    erasing = (db.users.find_one({"_id": openid}, {"erasing": 1}) or {}).get("erasing")
    try:  # counted with itself written: two at once see each other, never pass a cap together
        if erasing:  # began while this was written: the erasure waits for nothing of ours
            raise Forbidden("this account is being erased")
        _refuse_over_caps(db, openid, now)
    except Forbidden:
        _refuse(db, withdrawal_id)
        raise
    state = _claim(db, doc)
    if state is S.REFUSED:
        raise Conflict(
            "more than the available balance", available=account_of(db, openid)["available"]
        )
    if state is S.TRANSFERRING:
        make_bill(db, withdrawal_id, transfers)
    return view_of(found(db.withdrawals.find_one({"_id": withdrawal_id}), "withdrawal"), transfers)


def _refuse(db: Db, withdrawal_id: str) -> None:
    """A withdrawal a rule refused before anything was taken: REFUSED, no name kept."""
    db.withdrawals.update_one(
        {"_id": withdrawal_id, "state": S.CLAIMING},
        {"$set": {"state": S.REFUSED, "updated_at": utcnow()}, "$unset": {"real_name": ""}},
    )


def _refuse_over_caps(db: Db, openid: str, now: datetime) -> None:
    """Raises Forbidden when the promoter's withdrawals of today or this month (Asia/Shanghai),
    the one just written included, pass a cap."""
    config = settings()
    day_start = business_day(day_of(now))[0]
    month_start = business_day(day_of(now).replace(day=1))[0]
    taken = db.withdrawals.find(
        {"openid": openid, "created_at": {"$gte": month_start}},
        {"amount": 1, "state": 1, "created_at": 1},
    )
    counted = [w for w in taken if w["state"] not in (S.RETURNED, S.REJECTED, S.REFUSED)]
    today = sum(w["amount"] for w in counted if w["created_at"] >= day_start)
    month = sum(w["amount"] for w in counted)
    if today > config.RETAIL_WITHDRAW_DAY_CAP_FEN:
        raise Forbidden(f"over the daily cap of {config.RETAIL_WITHDRAW_DAY_CAP_FEN} fen")
    if month > config.RETAIL_WITHDRAW_MONTH_CAP_FEN:
        raise Forbidden(f"over the monthly cap of {config.RETAIL_WITHDRAW_MONTH_CAP_FEN} fen")


def _claim(db: Db, doc: dict[str, Any]) -> WithdrawalState:
    """Take the amount from available into withdrawing once (marker `ops.<id>_take`, kept
    until the withdrawal ends), then move the withdrawal on: REVIEWING or TRANSFERRING, or
    REFUSED when it was not there."""
    marker = f"ops.{doc['_id']}_take"
    account_of(db, doc["openid"])
    taken = mark(
        db,
        doc["openid"],
        marker,
        {"available": -doc["amount"], "withdrawing": doc["amount"]},
        {"available": {"$gte": doc["amount"]}},
    )
    holds = taken or marked(db, doc["openid"], marker)
    big = doc["amount"] > settings().RETAIL_WITHDRAW_REVIEW_ABOVE_FEN
    state = (S.REVIEWING if big else S.TRANSFERRING) if holds else S.REFUSED
    change: dict[str, Any] = {"$set": {"state": state, "updated_at": utcnow()}}
    if state is S.REFUSED:
        change["$unset"] = {"real_name": ""}
    db.withdrawals.update_one({"_id": doc["_id"], "state": S.CLAIMING}, change)
    log("withdrawal_claimed", withdrawal_id=doc["_id"], state=str(state))
    return state


def sync_withdrawals(
    cmd: SyncWithdrawals, *, transfers: Transfers, db: Db | None = None, limit: int = 100
) -> WithdrawalsSynced:
    """Timer: finish what calls left (a claim, a bill not created, a balance move owed) and
    ask WeChat Pay about bills waiting on the promoter (WeChat Pay ends unconfirmed ones after
    24 hours). Returns how many withdrawals it looked at."""
    db = db if db is not None else database()
    before = utcnow() - STUCK
    looked = 0
    for doc in db.withdrawals.find(
        {
            "state": {"$in": [S.CLAIMING, S.TRANSFERRING, S.WAIT_USER_CONFIRM]},
            "updated_at": {"$lt": before},
        },
        sort=[("updated_at", 1)],
        limit=limit,
    ):
        looked += 1
        try:
            _finish(db, doc, transfers)
        except Exception as exc:  # noqa: BLE001 - one withdrawal must not stop the others
            log("withdrawal_sync_failed", "ERROR", withdrawal_id=doc["_id"], **error_fields(exc))
        db.withdrawals.update_one(
            {"_id": doc["_id"], "updated_at": doc["updated_at"]},
            {"$set": {"updated_at": utcnow()}},
        )
    for doc in db.withdrawals.find({"balance_due": True}, {"_id": 1}, limit=limit):
        settle_balance(db, doc["_id"])
    return WithdrawalsSynced(looked_at=looked)


def _finish(db: Db, doc: dict[str, Any], transfers: Transfers) -> None:
    """What the timer does for one withdrawal a call left, or one waiting on the promoter."""
    if doc["state"] == S.CLAIMING:  # its call died before the caps were counted, maybe
        marked_take = marked(db, doc["openid"], f"ops.{doc['_id']}_take")
        if not marked_take:
            try:
                _refuse_over_caps(db, doc["openid"], doc["created_at"])
            except Forbidden:
                _refuse(db, doc["_id"])
                return
        _claim(db, doc)
    elif doc["state"] == S.TRANSFERRING:
        make_bill(db, doc["_id"], transfers)
    else:
        try:
            bill = transfers.query(doc["_id"])
        except UpstreamUnavailable:
            return
        if bill is not None:
            apply_bill(db, doc["_id"], bill)


def withdrawals_in_progress(db: Db, openid: str) -> list[str]:
    """The promoter's withdrawals not ended yet (an erasure waits for them)."""
    found = db.withdrawals.find({"openid": openid, "state": {"$in": OPEN}}, {"_id": 1})
    return [w["_id"] for w in found]
