"""Group membership and payment counts, each one conditional update on the group document:
at most `size` members (keyed by pseudonym, so a kept group names no openid), each once;
each paid order counted once (a marker per order)."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.models import OUT, STRICT
from retail.common.pseudonyms import pseudonym
from retail.common.vocabulary import DealStatus, GroupStatus
from retail.store import Db

OPEN, SUCCEEDED, FAILED = GroupStatus.OPEN, GroupStatus.SUCCEEDED, GroupStatus.FAILED


class GroupRef(BaseModel):
    model_config = STRICT
    group_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Z0-9]+$")


class GroupView(BaseModel):
    """What a shared group page shows: the deal, how full it is, and whether the caller is in
    it (members themselves stay private)."""

    model_config = OUT
    group_id: str
    deal_id: str
    product_id: str
    sku_id: str
    group_price: int = Field(description="what joining costs now (the deal's price)")
    size: int
    joined: int
    paid: int
    status: str
    deadline: datetime
    mine: bool = Field(description="the caller holds a place in this group")
    open_to_join: bool = Field(description="open, before its deadline, a place left, deal on")


def join_group(
    db: Db, deal: dict[str, Any], group_id: str | None, buyer: str, order_id: str
) -> str | None:
    """The group this order is in: a new one (`group_id` None) or a place in an open one that
    still has room. None if there is no room, or the buyer is already in it."""
    now = utcnow()
    if group_id is None:
        group_id = f"G{order_id[1:]}"
        with suppress(DuplicateKeyError):  # a retry of the same placement
            db.groups.insert_one(
                {
                    "_id": group_id,
                    "deal_id": deal["_id"],
                    "product_id": deal["product_id"],
                    "sku_id": deal["sku_id"],
                    "size": deal["size"],
                    "leader": pseudonym(buyer),
                    "members": {pseudonym(buyer): order_id},
                    "joined": 1,
                    "paid": 0,
                    "paid_orders": {},
                    "status": OPEN,
                    "deadline": now + timedelta(hours=deal["hours"]),
                    "created_at": now,
                }
            )
        return group_id
    # The group's own size, fixed when it opened: a deal edited since changes new groups only.
    group = db.groups.find_one({"_id": group_id, "deal_id": deal["_id"]}, {"size": 1})
    if group is None:
        return None
    joined = db.groups.update_one(
        {
            "_id": group_id,
            "status": OPEN,
            "deadline": {"$gt": now},
            "size": group["size"],
            "joined": {"$lt": group["size"]},
            f"members.{pseudonym(buyer)}": {"$exists": False},
        },
        {"$inc": {"joined": 1}, "$set": {f"members.{pseudonym(buyer)}": order_id}},
    )
    return group_id if joined.modified_count else None


def leave_group(db: Db, group_id: str, buyer: str, order_id: str) -> None:
    """An order that will not be paid gives its place back (once)."""
    db.groups.update_one(
        {"_id": group_id, "status": OPEN, f"members.{pseudonym(buyer)}": order_id},
        {"$inc": {"joined": -1}, "$unset": {f"members.{pseudonym(buyer)}": ""}},
    )


def count_payment(db: Db, group_id: str, order_id: str) -> bool:
    """Count a member's payment once; the group succeeds when every place is paid. True
    for the one call whose update made it succeed."""
    db.groups.update_one(
        {"_id": group_id, f"paid_orders.{order_id}": {"$exists": False}},
        {"$inc": {"paid": 1}, "$set": {f"paid_orders.{order_id}": True}},
    )
    group = db.groups.find_one({"_id": group_id}, {"size": 1})
    if group is None:
        return False
    formed = db.groups.update_one(
        {
            "_id": group_id,
            "status": OPEN,
            "paid": {"$gte": group["size"]},
            "deadline": {"$gt": utcnow()},
        },
        {"$set": {"status": SUCCEEDED, "succeeded_at": utcnow()}},
    )
    return bool(formed.modified_count)


def show_group(cmd: GroupRef, viewer: str | None, *, db: Db | None = None) -> GroupView:
    """Raises NotFound for an unknown group, or one whose deal is gone."""
    db = db if db is not None else database()
    group = db.groups.find_one({"_id": cmd.group_id})
    if group is None:
        raise NotFound(f"no group {cmd.group_id!r}")
    deal = db.group_deals.find_one({"_id": group["deal_id"]})
    if deal is None:
        raise NotFound(f"group {cmd.group_id!r}: its deal is gone")
    left = group["joined"] < group["size"]
    return GroupView(
        **{
            k: v
            for k, v in group.items()
            if k in {"deal_id", "size", "joined", "paid", "status", "deadline"}
        },
        group_id=group["_id"],
        product_id=group.get("product_id") or deal["product_id"],
        sku_id=group.get("sku_id") or deal["sku_id"],
        group_price=deal["group_price"],
        mine=viewer is not None and pseudonym(viewer) in group.get("members", {}),
        open_to_join=group["status"] == OPEN
        and group["deadline"] > utcnow()
        and left
        and deal.get("status") == DealStatus.ACTIVE,
    )
