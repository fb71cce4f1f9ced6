"""The caller's own profile with points, level, paid membership, usable coupons and where
their privacy consents stand (so the app asks before it sends an address)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.models import OUT
from retail.consent import ConsentState, consent_state
from retail.store import Db

from .models import STRICT, UserProfile


class ShowMe(BaseModel):
    model_config = STRICT


class OwnedCoupon(BaseModel):
    model_config = OUT

    coupon_id: str
    template_id: str
    title: str
    discount: int
    threshold: int
    expires_at: datetime | None = None


class MyProfile(UserProfile):
    membership_expires_at: datetime | None = Field(
        None, description="end of the paid membership (会员); past or null: not a member"
    )
    coupons: list[OwnedCoupon]
    consent: ConsentState


def show_me(_: ShowMe, *, openid: str, db: Db | None = None) -> MyProfile:
    """Raises NotFound when the caller never logged in."""
    db = db if db is not None else database()
    doc = db.users.find_one({"_id": openid, "erasing": {"$ne": True}})
    if doc is None:  # never signed in, or erased (a tombstone until the erasure is finished)
        raise NotFound("no such user; call user_login first")
    coupons = db.coupons.find(
        {
            "openid": openid,
            "status": "AVAILABLE",
            "$or": [{"expires_at": None}, {"expires_at": {"$gt": utcnow()}}],
        },
        sort=[("expires_at", 1)],
    )
    owned = [
        OwnedCoupon(
            coupon_id=str(c["_id"]),
            template_id=c["template_id"],
            title=c["title"],
            discount=c["discount"],
            threshold=c.get("threshold", 0),
            expires_at=c.get("expires_at"),
        )
        for c in coupons
    ]
    return MyProfile(
        **UserProfile.from_doc(doc).model_dump(),
        membership_expires_at=doc.get("membership_expires_at"),
        coupons=owned,
        consent=consent_state(db, openid),
    )
