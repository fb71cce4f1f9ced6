"""commission_mine: a promoter's own commissions, totals per status and the entries, each
tied to the order that earned it by a masked number (the invitee is never shown)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.common.settings import settings
from retail.store import Db

from .balances import account_of

STATUSES = ("PENDING", "AVAILABLE", "REVERSED")


class MyCommissions(BaseModel):
    model_config = STRICT
    limit: int = Field(50, ge=1, le=200)


class CommissionEntry(BaseModel):
    model_config = OUT
    order: str = Field(description="the order that earned it, masked")
    amount: int
    status: str
    created_at: datetime
    released_at: datetime | None = None
    reversed_at: datetime | None = None


class CommissionRules(BaseModel):
    model_config = OUT
    commission_bp: int = Field(description="basis points of an invitee's first paid order")
    withdraw_min_fen: int
    review_above_fen: int = Field(description="larger withdrawals wait for an operator")
    min_account_age_seconds: int


class MyCommissionsView(BaseModel):
    model_config = OUT
    totals: dict[str, int] = Field(
        description="fen: pending, available, withdrawing, withdrawn, reversed, debt (owed "
        "back: a commission reversed after it was withdrawn, paid from the next ones)"
    )
    entries: list[CommissionEntry]
    rules: CommissionRules


def masked_order(order_id: str) -> str:
    return f"{order_id[:6]}****{order_id[-4:]}" if len(order_id) > 10 else "****"


def my_commissions(cmd: MyCommissions, *, openid: str, db: Db | None = None) -> MyCommissionsView:
    db = db if db is not None else database()
    account = account_of(db, openid)
    sums = dict.fromkeys(STATUSES, 0)
    for status in ("PENDING", "REVERSED"):
        found = db.commissions.find({"inviter": openid, "status": status}, {"amount": 1})
        sums[status] = sum(int(e["amount"]) for e in found)
    entries = db.commissions.find({"inviter": openid}, sort=[("created_at", -1)], limit=cmd.limit)
    config = settings()
    return MyCommissionsView(
        totals={
            "pending": sums["PENDING"],
            "available": int(account["available"]),
            "withdrawing": int(account["withdrawing"]),
            "withdrawn": int(account["withdrawn"]),
            "reversed": sums["REVERSED"],
            "debt": int(account["debt"]),
        },
        entries=[
            CommissionEntry(
                order=masked_order(e["order_id"]),
                amount=e["amount"],
                status=e["status"],
                created_at=e["created_at"],
                released_at=e.get("released_at"),
                reversed_at=e.get("reversed_at"),
            )
            for e in entries
        ],
        rules=CommissionRules(
            commission_bp=config.RETAIL_COMMISSION_BP,
            withdraw_min_fen=config.RETAIL_WITHDRAW_MIN_FEN,
            review_above_fen=config.RETAIL_WITHDRAW_REVIEW_ABOVE_FEN,
            min_account_age_seconds=config.RETAIL_WITHDRAW_MIN_ACCOUNT_AGE_SECONDS,
        ),
    )
