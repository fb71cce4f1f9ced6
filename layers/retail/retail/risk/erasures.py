"""What the anti-abuse rules keep of a buyer who erased their account: under the pseudonym
only, that they used the shop (so they are not a new user to invite again) and when their
recent refunds were (so the refund-abuse count does not start again at zero)."""

from __future__ import annotations

from datetime import datetime

from retail.common.pseudonyms import pseudonym
from retail.store import Db


def remember_erased_buyer(db: Db, openid: str, refunds_at: list[datetime], at: datetime) -> None:
    """One record per WeChat user, whatever the retries: the refund times are a set."""
    db.erased_buyers.update_one(
        {"_id": pseudonym(openid)},
        {"$addToSet": {"refunds_at": {"$each": refunds_at}}, "$max": {"at": at}},
        upsert=True,
    )


def erased_before(db: Db, openid: str) -> bool:
    """True when this WeChat user erased an account here before."""
    return db.erased_buyers.find_one({"_id": pseudonym(openid)}, {"_id": 1}) is not None


def refunds_before_erasure(db: Db, openid: str, since: datetime) -> int:
    """Refunds this WeChat user had asked since `since` on accounts they erased."""
    doc = db.erased_buyers.find_one({"_id": pseudonym(openid)}, {"refunds_at": 1}) or {}
    return sum(1 for at in doc.get("refunds_at", []) if at >= since)
