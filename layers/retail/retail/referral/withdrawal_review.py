"""What operators do with promoters' withdrawals: see every one and its state, and decide
the large ones that wait for review (withdrawals.py holds the promoter's side,
withdrawal_bills.py the transfer)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound, found
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator, Role
from retail.store import Db

from .withdrawal_bills import make_bill, settle_balance
from .withdrawal_terms import S, Transfers, WithdrawalView, view_of


class WithdrawalQueue(BaseModel):
    model_config = STRICT
    status: (
        Literal[
            "CLAIMING",
            "REVIEWING",
            "TRANSFERRING",
            "WAIT_USER_CONFIRM",
            "WITHDRAWN",
            "RETURNED",
            "REJECTED",
            "REFUSED",
        ]
        | None
    ) = None
    openid: str | None = Field(None, min_length=1, max_length=64)
    limit: int = Field(50, ge=1, le=200)


class Withdrawals(BaseModel):
    model_config = OUT
    withdrawals: list[dict[str, Any]]


class ReviewWithdrawal(BaseModel):
    model_config = STRICT
    withdrawal_id: str = Field(min_length=8, max_length=32, pattern=r"^W[A-Z0-9]+$")
    decision: Literal["approve", "reject"]
    note: str | None = Field(None, max_length=200)


def review_withdrawal(
    cmd: ReviewWithdrawal, *, operator: Operator, transfers: Transfers, db: Db | None = None
) -> WithdrawalView:
    """An operator decides a large withdrawal: approved, its transfer is made; rejected, the
    money is available again. Raises NotFound or Conflict (not waiting for review)."""
    operator.require(Role.ADMIN, what="review withdrawals")
    db = db if db is not None else database()
    approve = cmd.decision == "approve"
    change: dict[str, Any] = {
        "state": S.TRANSFERRING if approve else S.REJECTED,
        "review": {"by": operator.operator_id, "note": cmd.note, "at": utcnow()},
        "updated_at": utcnow(),
    }
    if not approve:
        change["balance_due"] = True
    before = db.withdrawals.find_one_and_update(
        {"_id": cmd.withdrawal_id, "state": S.REVIEWING}, {"$set": change}
    )
    if before is None:
        current = db.withdrawals.find_one({"_id": cmd.withdrawal_id})
        if current is None:
            raise NotFound(f"no withdrawal {cmd.withdrawal_id!r}")
        raise Conflict(f"a {current['state']} withdrawal is not waiting for review")
    record_audit(
        db,
        operator,
        "withdrawal_review",
        cmd.withdrawal_id,
        {"state": S.REVIEWING},
        {"state": change["state"], "note": cmd.note},
    )
    if approve:
        make_bill(db, cmd.withdrawal_id, transfers)
    else:
        settle_balance(db, cmd.withdrawal_id)
    return view_of(found(db.withdrawals.find_one({"_id": cmd.withdrawal_id}), "withdrawal"), None)


def withdrawal_queue(
    cmd: WithdrawalQueue, *, operator: Operator, db: Db | None = None
) -> Withdrawals:
    """Every withdrawal and its state, newest first (admin)."""
    operator.require(Role.ADMIN, what="see withdrawals")
    db = db if db is not None else database()
    query = {k: v for k, v in (("state", cmd.status), ("openid", cmd.openid)) if v}
    found_ = db.withdrawals.find(query, sort=[("created_at", -1)], limit=cmd.limit)
    shown = ("openid", "amount", "state", "fail_reason", "review", "created_at", "updated_at")
    return Withdrawals(
        withdrawals=[{"withdrawal_id": w["_id"], **{k: w.get(k) for k in shown}} for w in found_]
    )
