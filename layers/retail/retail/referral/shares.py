"""Share codes and what opening one earns: the visitor is bound to the first inviter inside the
attribution window (no self-referral, no cycles, one inviter at a time), and a new user's
inviter earns points, within a daily cap."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from pydantic import BaseModel, Field
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound
from retail.common.models import OPTIONAL_ID, OUT, STRICT
from retail.common.pseudonyms import pseudonym
from retail.common.settings import settings
from retail.members import award_points
from retail.risk import DEVICE_ID, Signals, erased_before, reward_allowed, signals_for
from retail.store import Db

MAX_CHAIN = 50


class CreateShare(BaseModel):
    model_config = STRICT
    product_id: str | None = OPTIONAL_ID


class ShareLink(BaseModel):
    model_config = OUT
    share_code: str
    path: str
    scene: str = Field(description="for wxacode.getUnlimited (<= 32 visible characters)")


class ShareVisit(BaseModel):
    model_config = STRICT
    share_code: str = Field(min_length=4, max_length=32, pattern=r"^[A-Z2-7]+$")
    device_id: str | None = Field(None, pattern=DEVICE_ID)


class ShareReward(BaseModel):
    model_config = OUT
    inviter: str = Field(description="the inviter's pseudonym: a share code names nobody")
    bound: bool
    points_awarded: int


def create_share(cmd: CreateShare, *, inviter: str, db: Db | None = None) -> ShareLink:
    """The caller's share code for a product (or the shop): the same inputs, the same code."""
    db = db if db is not None else database()
    if cmd.product_id and db.products.find_one({"_id": cmd.product_id}, {"_id": 1}) is None:
        raise NotFound(f"no product {cmd.product_id!r}")
    # From the inviter's keyed pseudonym: whoever knows an openid cannot work out its codes.
    digest = hashlib.sha256(f"{pseudonym(inviter)}|{cmd.product_id or ''}".encode()).digest()
    code = base64.b32encode(digest).decode()[:12]
    db.shares.update_one(
        {"_id": code},
        {
            "$setOnInsert": {
                "inviter": inviter,
                "product_id": cmd.product_id,
                "created_at": utcnow(),
            }
        },
        upsert=True,
    )
    page = (
        f"pages/product/detail?id={cmd.product_id}&share={code}"
        if cmd.product_id
        else f"pages/index/index?share={code}"
    )
    return ShareLink(share_code=code, path=page, scene=f"s={code}")


def claim_share_reward(
    cmd: ShareVisit, *, visitor: str, client_ip: str | None = None, db: Db | None = None
) -> ShareReward:
    """Raises NotFound (unknown code) or Conflict (self-referral or a cycle)."""
    db = db if db is not None else database()
    share = db.shares.find_one({"_id": cmd.share_code})
    if share is None:
        raise NotFound("no such share code")
    inviter = share["inviter"]
    if inviter == visitor:
        raise Conflict("you cannot invite yourself")
    if visitor in _inviters_of(db, inviter):
        raise Conflict("this would make a referral cycle")
    if not _bind(db, visitor, inviter, cmd.share_code):
        current = db.referrals.find_one({"_id": visitor}) or {}
        bound_to = pseudonym(current.get("inviter") or inviter)
        return ShareReward(inviter=bound_to, bound=False, points_awarded=0)
    signals = signals_for(visitor, device=cmd.device_id, ip=client_ip)
    points = _reward_new_user(db, inviter, signals, cmd.share_code)
    return ShareReward(inviter=pseudonym(inviter), bound=True, points_awarded=points)


def _inviters_of(db: Db, openid: str) -> set[str]:
    chain: set[str] = set()
    current = openid
    for _ in range(MAX_CHAIN):
        link = db.referrals.find_one({"_id": current}, {"inviter": 1})
        if link is None or link["inviter"] in chain:
            break
        chain.add(link["inviter"])
        current = link["inviter"]
    return chain


def _bind(db: Db, visitor: str, inviter: str, code: str) -> bool:
    """First touch wins; a binding that led to no order within the window may be replaced. A
    WeChat user who erased an account here is no new user: nobody binds them again."""
    if erased_before(db, visitor):
        return False
    now = utcnow()
    try:
        db.referrals.insert_one(
            {
                "_id": visitor,
                "inviter": inviter,
                "share_code": code,
                "bound_at": now,
                "first_order_id": None,
            }
        )
        return True
    except DuplicateKeyError:
        lapsed = now - timedelta(days=settings().RETAIL_ATTRIBUTION_DAYS)
        rebound = db.referrals.update_one(
            {
                "_id": visitor,
                "bound_at": {"$lt": lapsed},
                "first_order_id": None,
                "inviter": {"$ne": inviter},
            },
            {"$set": {"inviter": inviter, "share_code": code, "bound_at": now}},
        )
        return bool(rebound.modified_count)


def _reward_new_user(db: Db, inviter: str, signals: Signals, code: str) -> int:
    """Points for bringing a new user (first seen recently, never paid; a visitor never seen
    before, whose first call this is, is the newest there is), within a daily cap, unless the
    risk rules refuse the visitor."""
    config = settings()
    visitor = signals.openid
    user = db.users.find_one({"_id": visitor}, {"first_seen_at": 1, "last_paid_at": 1})
    recent = utcnow() - timedelta(hours=config.RETAIL_NEW_USER_HOURS)
    if user is not None and (user["first_seen_at"] < recent or user.get("last_paid_at")):
        return 0
    if not reward_allowed(db, signals, code, utcnow()):
        return 0
    day_key = f"{pseudonym(inviter)}:{utcnow():%Y%m%d}"
    db.invite_caps.update_one({"_id": day_key}, {"$setOnInsert": {"count": 0}}, upsert=True)
    within_cap = db.invite_caps.update_one(
        {"_id": day_key, "count": {"$lt": config.RETAIL_INVITE_DAILY_CAP}}, {"$inc": {"count": 1}}
    )
    if not within_cap.modified_count:
        return 0
    points = config.RETAIL_INVITE_POINTS
    key = f"invite:{pseudonym(inviter)}:{pseudonym(visitor)}"
    award_points(db, inviter, points, key, "brought a new user")
    return points
