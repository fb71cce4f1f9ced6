"""The distribution ledger (分销): a commission on an invitee's first paid order, PENDING until
the order completes, then AVAILABLE, or REVERSED if it is refunded. One entry per order, under
an id that names no openid, so a replayed payment changes nothing. Only the direct inviter
earns (WeChat forbids multi-level distribution, 多级分销).

An entry that moves the promoter's balance records the move with its own change, and the
balance takes it once (balances.py): released, the amount is credited; a parcel refunded or
the order refunded after release, the amount is debited (into debt if already withdrawn)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Unavailable
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator, Role
from retail.common.settings import settings
from retail.store import Db

from .balances import TRIES, apply_moves

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


def _entries_of(db: Db, order_id: str) -> list[dict[str, Any]]:
    return list(db.commissions.find({"order_id": order_id}))


def release_commission(db: Db, order_id: str) -> None:
    """The order completed: its commission becomes available and is credited."""
    for entry in _entries_of(db, order_id):
        _move_status(db, entry["_id"], PENDING, AVAILABLE, "released_at", "credit", 1)
        apply_moves(db, entry["_id"])


def _move_status(
    db: Db, entry_id: str, source: str, target: str, stamp: str, move: str | None, sign: int
) -> None:
    """source -> target, recording the balance move of the amount as it is at that moment
    (a parcel's refund may change it meanwhile: read again and retry)."""
    for _ in range(TRIES):
        entry = db.commissions.find_one({"_id": entry_id}, {"status": 1, "amount": 1})
        if entry is None or entry["status"] != source:
            return
        change: dict[str, Any] = {"status": target, stamp: utcnow()}
        if move is not None:
            change.update({f"moves.{move}": sign * entry["amount"], "balance_due": True})
        moved = db.commissions.update_one(
            {"_id": entry_id, "status": source, "amount": entry["amount"]}, {"$set": change}
        )
        if moved.modified_count:
            return
    raise Unavailable("the commission is busy; try again")


def reduce_commission(db: Db, order_id: str, merchant_id: str, refunded: int) -> None:
    """One merchant's parcel of the order was refunded: the commission shrinks by the
    refunded money's share, once per parcel (debited from the balance once released)."""
    cut = refunded * settings().RETAIL_COMMISSION_BP // 10_000
    for entry in _entries_of(db, order_id):
        fresh = {"_id": entry["_id"], "parcels_refunded": {"$ne": merchant_id}}
        db.commissions.update_one(
            {**fresh, "status": PENDING},
            {"$inc": {"amount": -cut}, "$push": {"parcels_refunded": merchant_id}},
        )
        db.commissions.update_one(
            {**fresh, "status": AVAILABLE},
            {
                "$inc": {"amount": -cut},
                "$push": {
                    "parcels_refunded": merchant_id,
                    # taken back after release: the quarterly report counts it (reports.py)
                    "cuts_after_release": {
                        "merchant_id": merchant_id,
                        "amount": cut,
                        "at": utcnow(),
                    },
                },
                "$set": {f"moves.parcel_{merchant_id}": -cut, "balance_due": True},
            },
        )
        apply_moves(db, entry["_id"])


def reverse_commission(db: Db, order_id: str) -> None:
    """The order was refunded: its commission is reversed (debited once released)."""
    for entry in _entries_of(db, order_id):
        _move_status(db, entry["_id"], PENDING, REVERSED, "reversed_at", None, 0)
        _move_status(db, entry["_id"], AVAILABLE, REVERSED, "reversed_at", "reverse", -1)
        apply_moves(db, entry["_id"])


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
