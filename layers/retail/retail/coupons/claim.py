"""Claiming a coupon: the template's quota and the per-user limit hold under any concurrency.

The quota is one conditional increment (`claimed < total_quota`); the per-user limit is the
unique id of the coupon, `<template>:<openid>:<n>` with n <= per_user_limit. If the quota was
taken but no slot was free, the quota is given back. A crash between the two can only leave
a quota unit unused, never hand out one too many.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound
from retail.common.models import ID, OUT, STRICT
from retail.common.pseudonyms import pseudonym
from retail.risk import DEVICE_ID, guard_claim, signals_for
from retail.store import Db


class ClaimCoupon(BaseModel):
    model_config = STRICT
    template_id: str = ID
    device_id: str | None = Field(None, pattern=DEVICE_ID)


class ListCoupons(BaseModel):
    model_config = STRICT
    status: Literal["AVAILABLE", "LOCKED", "USED", "EXPIRED"] | None = None


class CouponView(BaseModel):
    model_config = OUT
    coupon_id: str
    template_id: str
    title: str
    kind: str
    discount: int
    rate_bp: int = 0
    threshold: int
    status: str
    expires_at: datetime | None = None


class MyCoupons(BaseModel):
    model_config = OUT
    coupons: list[CouponView]


def to_view(doc: dict[str, Any]) -> CouponView:
    expired = (
        doc["status"] == "AVAILABLE" and doc.get("expires_at") and doc["expires_at"] <= utcnow()
    )
    return CouponView(
        **{
            **{k: v for k, v in doc.items() if k in CouponView.model_fields},
            "coupon_id": doc["_id"],
            "status": "EXPIRED" if expired else doc["status"],
        }
    )


def claim_coupon(
    cmd: ClaimCoupon, *, buyer: str, client_ip: str | None = None, db: Db | None = None
) -> CouponView:
    """Raises NotFound (no such active template), Conflict (sold out, limit reached) or
    Forbidden (a risk rule refuses the claim)."""
    db = db if db is not None else database()
    template = db.coupon_templates.find_one({"_id": cmd.template_id, "status": "ACTIVE"})
    if template is None:
        raise NotFound(f"no coupon {cmd.template_id!r} to claim")
    guard_claim(db, signals_for(buyer, device=cmd.device_id, ip=client_ip), template, utcnow())
    coupon = grant_coupon(db, template, buyer)
    if coupon is None:
        raise Conflict("this coupon is sold out or you already have as many as allowed")
    return to_view(coupon)


def grant_coupon(
    db: Db, template: dict[str, Any], openid: str, coupon_id: str | None = None
) -> dict[str, Any] | None:
    """One more coupon of `template` for `openid`, or None (quota or per-user limit reached).

    With `coupon_id` (a campaign's own key) the per-user limit is that id: granting it again
    returns the coupon already granted and takes no quota.
    """
    now = utcnow()
    if template.get("valid_until") and template["valid_until"] <= now:
        return None
    taken = db.coupon_templates.update_one(
        {"_id": template["_id"], "claimed": {"$lt": template["total_quota"]}},
        {"$inc": {"claimed": 1}},
    )
    if not taken.modified_count:
        return None
    if coupon_id is not None:
        coupon = {**_new_coupon(template, openid, 0, now), "_id": coupon_id}
        try:
            db.coupons.insert_one(coupon)
            return coupon
        except DuplicateKeyError:
            db.coupon_templates.update_one({"_id": template["_id"]}, {"$inc": {"claimed": -1}})
            existing: dict[str, Any] | None = db.coupons.find_one({"_id": coupon_id})
            return existing
    owned = db.coupons.count_documents({"openid": openid, "template_id": template["_id"]})
    for slot in range(owned + 1, template["per_user_limit"] + 1):
        coupon = _new_coupon(template, openid, slot, now)
        try:
            db.coupons.insert_one(coupon)
            return coupon
        except DuplicateKeyError:  # a concurrent claim took this slot; try the next
            continue
    db.coupon_templates.update_one({"_id": template["_id"]}, {"$inc": {"claimed": -1}})
    return None


def _new_coupon(template: dict[str, Any], openid: str, slot: int, now: datetime) -> dict[str, Any]:
    ends = [
        t
        for t in (
            template.get("valid_until"),
            now + timedelta(days=template["valid_days"]) if template.get("valid_days") else None,
        )
        if t
    ]
    return {
        "_id": f"{template['_id']}:{pseudonym(openid)}:{slot}",
        "openid": openid,
        "template_id": template["_id"],
        "title": template["title"],
        "kind": template.get("kind", "fixed"),
        "discount": template["discount"],
        "rate_bp": template.get("rate_bp", 0),
        "threshold": template.get("threshold", 0),
        "scope": template.get("scope") or {"kind": "all", "ids": []},
        "valid_from": template.get("valid_from"),
        "expires_at": min(ends) if ends else None,
        "status": "AVAILABLE",
        "order_id": None,
        "claimed_at": now,
    }


def list_coupons(cmd: ListCoupons, *, buyer: str, db: Db | None = None) -> MyCoupons:
    db = db if db is not None else database()
    views = [to_view(doc) for doc in db.coupons.find({"openid": buyer}, sort=[("claimed_at", -1)])]
    return MyCoupons(coupons=[v for v in views if cmd.status in (None, v.status)])
