"""The distribution ledger (分销): a commission on an invitee's first paid order, PENDING until
the order completes, then AVAILABLE, or REVERSED if it is refunded. One entry per order, under
an id that names no openid, so a replayed payment changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator, Role
from retail.common.settings import settings
from retail.store import Db

PENDING, AVAILABLE, REVERSED = "PENDING", "AVAILABLE", "REVERSED"


class ListCommissions(BaseModel):
    model_config = STRICT
    inviter: str | None = Field(None, min_length=1, max_length=64)
    status: Literal["PENDING", "AVAILABLE", "REVERSED"] | None = None
    limit: int = Field(50, ge=1, le=500)


class CommissionPage(BaseModel):
    model_config = OUT
    entries: list[dict[str, Any]]
    totals: dict[str, int]


def record_first_order(db: Db, order: Mapping[str, Any]) -> None:
    """If this paid order is the buyer's first since being invited, its commission is due."""
    buyer = order["openid"]
    db.referrals.update_one(
        {"_id": buyer, "first_order_id": None}, {"$set": {"first_order_id": order["_id"]}}
    )
    link = db.referrals.find_one({"_id": buyer, "first_order_id": order["_id"]})
    if link is None or db.commissions.find_one({"order_id": order["_id"]}, {"_id": 1}):
        return  # not a first order, or its entry is written (under any id it ever had)
    amount = order.get("paid_amount", order["total"]) * settings().RETAIL_COMMISSION_BP // 10_000
    entry_id = f"first_order:{order['_id']}"  # one inviter, one buyer per order
    db.commissions.update_one(
        {"_id": entry_id},
        {
            "$setOnInsert": {
                "inviter": link["inviter"],
                "invitee": buyer,
                "order_id": order["_id"],
                "amount": amount,
                "status": PENDING,
                "created_at": utcnow(),
            }
        },
        upsert=True,
    )


def release_commission(db: Db, order_id: str) -> None:
    db.commissions.update_many(
        {"order_id": order_id, "status": PENDING},
        {"$set": {"status": AVAILABLE, "released_at": utcnow()}},
    )


def reduce_commission(db: Db, order_id: str, merchant_id: str, refunded: int) -> None:
    """One merchant's parcel of the order was refunded: the commission shrinks by the
    refunded money's share, once per parcel."""
    db.commissions.update_many(
        {
            "order_id": order_id,
            "status": {"$in": [PENDING, AVAILABLE]},
            "parcels_refunded": {"$ne": merchant_id},
        },
        {
            "$inc": {"amount": -(refunded * settings().RETAIL_COMMISSION_BP // 10_000)},
            "$push": {"parcels_refunded": merchant_id},
        },
    )


def reverse_commission(db: Db, order_id: str) -> None:
    db.commissions.update_many(
        {"order_id": order_id, "status": {"$in": [PENDING, AVAILABLE]}},
        {"$set": {"status": REVERSED, "reversed_at": utcnow()}},
    )


def list_commissions(
    cmd: ListCommissions, *, operator: Operator, db: Db | None = None
) -> CommissionPage:
    """The operator view of the ledger, newest first, with totals per status."""
    operator.require(Role.ADMIN, what="see the commission ledger")
    db = db if db is not None else database()
    query = {k: v for k, v in (("inviter", cmd.inviter), ("status", cmd.status)) if v}
    entries = list(db.commissions.find(query, sort=[("created_at", -1)], limit=cmd.limit))
    totals = dict.fromkeys((PENDING, AVAILABLE, REVERSED), 0)
    for status in (cmd.status,) if cmd.status else tuple(totals):  # by the status index
        found = db.commissions.find({**query, "status": status}, {"amount": 1})
        totals[status] = sum(entry["amount"] for entry in found)
    return CommissionPage(entries=[{**e, "entry_id": e.pop("_id")} for e in entries], totals=totals)
