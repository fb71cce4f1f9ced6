"""Accounts per device and day for claims and rewards: a set of accounts (by pseudonym, so an
erased account still counts and its openid is not kept) grown by one conditional update, so
concurrent calls can never admit one too many."""

from __future__ import annotations

from datetime import datetime, timedelta

from retail.common.pseudonyms import pseudonym
from retail.store import Db, upsert_where


def admit_account(db: Db, key: str, openid: str, limit: int, now: datetime) -> bool:
    """Add `openid` to the accounts seen under `key` today unless `limit` others already are.

    True if the openid is (now) among them, False if the set was full without it.
    """
    doc_id = f"{key}:{now.date().isoformat()}"
    account = pseudonym(openid)
    admitted = upsert_where(
        db.account_sets,
        {
            "_id": doc_id,
            "$or": [{"openids": account}, {f"openids.{limit - 1}": {"$exists": False}}],
        },
        {
            "$addToSet": {"openids": account},
            "$setOnInsert": {"expires_at": now + timedelta(days=2)},
        },
    )
    return admitted is not None  # None: the set exists and is full without this openid
