"""What a member gets at checkout (free shipping from level 3, 5% off from level 4, both
while a paid membership (会员) is active), and buying membership days."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.store import Db

FREE_SHIPPING_LEVEL = 3
DISCOUNT_LEVEL = 4
MEMBER_DISCOUNT_BP = 500
MAX_RETRIES = 5


@dataclass(frozen=True)
class MemberPerks:
    free_shipping: bool
    discount_bp: int


def member_perks(user: Mapping[str, Any] | None, now: datetime) -> MemberPerks:
    if not user:
        return MemberPerks(False, 0)
    paid_member = bool(user.get("membership_expires_at") and user["membership_expires_at"] > now)
    level = user.get("level", 1)
    return MemberPerks(
        free_shipping=paid_member or level >= FREE_SHIPPING_LEVEL,
        discount_bp=MEMBER_DISCOUNT_BP if paid_member or level >= DISCOUNT_LEVEL else 0,
    )


def extend_membership(db: Db, openid: str, days: int, key: str) -> bool:
    """Add (or, negative, take back) membership days once per `key`: the expiry moves by one
    update conditional on the value it was computed from, and the ledger entry is its proof."""
    if db.membership_ledger.find_one({"_id": key}, {"_id": 1}) is not None:
        return False
    for _ in range(MAX_RETRIES):
        user = db.users.find_one({"_id": openid}, {"membership_expires_at": 1})
        if user is None:
            return False
        current = user.get("membership_expires_at")
        start = max(current, utcnow()) if current else utcnow()
        moved = db.users.update_one(
            {"_id": openid, "membership_expires_at": current, f"ops.{key}": {"$exists": False}},
            {"$set": {"membership_expires_at": start + timedelta(days=days), f"ops.{key}": True}},
        )
        if moved.modified_count or db.users.find_one({"_id": openid, f"ops.{key}": True}):
            break
    else:
        raise RuntimeError(f"membership of {openid} kept changing; {key} will be retried")
    with suppress(DuplicateKeyError):
        db.membership_ledger.insert_one(
            {"_id": key, "openid": openid, "days": days, "at": utcnow()}
        )
    db.users.update_one({"_id": openid}, {"$unset": {f"ops.{key}": ""}})
    return True
