"""user_export gives a user everything we hold about them; user_delete erases it.

Erasure keeps what the law requires us to keep (orders, payments, refunds, statements) but
cuts it loose from the person: the openid becomes a pseudonym no one can map back, and names,
phones, addresses and remarks are removed. Settlement reads only lines, amounts and dates,
so its totals do not change.

It waits while an order still needs the buyer (to be paid, shipped, picked up, received or
refunded): the answer names those orders. What the anti-abuse rules need survives under the
keyed pseudonym of the openid only (common/pseudonyms.py): purchase caps, coupon slots, risk
events, that this WeChat user was here before (no new-user invitation again) and when their
recent refunds were.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, Reason, Unavailable
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.pseudonyms import pseudonym
from retail.common.vocabulary import CouponStatus
from retail.orders.custody import anonymise_orders, orders_in_progress, refunds_asked_since
from retail.referral import withdrawals_in_progress
from retail.referral.balances import TRIES, mark, marked
from retail.risk import remember_erased_buyer
from retail.store import MAJORITY, Db
from retail.users.visitors import forget_visitor

HIDDEN = {"session_key", "ops", "password_hash"}
REFUND_WINDOW = timedelta(days=30)  # as far back as the refund-abuse rule counts
# Longer than any call runs (SCF stops a function after its timeout, 10 s here): a call that
# raced an erasure has ended by then, and the second sweep takes whatever it wrote.
ERASURE_GRACE = timedelta(minutes=1)
OWNED_BY_OPENID = (
    "coupons",
    "points_ledger",
    "subscriptions",
    "notices",
    "media_checks",
    "membership_ledger",
    "events",
    "exposures",
)
# Kept under the pseudonym: evidence (consent, risk), and what only counts (NPS scores).
KEPT_AS_EVIDENCE = ("consent_log", "risk_events", "nps", "withdrawals")
EXPORTED_TOO = ("reviews", "tickets", "nps", "consent_log", "withdrawals")


class ExportMe(BaseModel):
    model_config = STRICT


class DeleteMe(BaseModel):
    model_config = STRICT
    confirm: bool


class MyData(BaseModel):
    model_config = OUT
    profile: dict[str, Any] | None
    orders: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]]


class Erased(BaseModel):
    model_config = OUT
    erased: bool
    orders_kept_anonymised: int


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    """Without secrets and bookkeeping; store-made ids (ObjectId) as text."""
    return {
        k: str(v) if k == "_id" and not isinstance(v, (str, int)) else v
        for k, v in doc.items()
        if k not in HIDDEN
    }


def export_my_data(_: ExportMe, *, openid: str, db: Db | None = None) -> MyData:
    db = db if db is not None else database()
    user = db.users.find_one({"_id": openid})
    records = {
        name: [_clean(d) for d in db[name].find({"openid": openid})] for name in OWNED_BY_OPENID
    }
    records["carts"] = [_clean(d) for d in db.carts.find({"_id": openid})]
    records["referral"] = [_clean(d) for d in db.referrals.find({"_id": openid})]
    records["shares"] = [_clean(d) for d in db.shares.find({"inviter": openid})]
    records["commissions"] = [_clean(d) for d in db.commissions.find({"inviter": openid})]
    records["consent"] = [_clean(d) for d in db.consents.find({"_id": openid})]
    records["promoter_account"] = [_clean(d) for d in db.promoter_accounts.find({"_id": openid})]
    for name in EXPORTED_TOO:
        records[name] = [_clean(d) for d in db[name].find({"openid": openid}, {"_id": 0})]
    orders = [_clean(d) for d in db.orders.find({"openid": openid}, sort=[("created_at", -1)])]
    return MyData(profile=_clean(user) if user else None, orders=orders, records=records)


def _blacklisting_by_pseudonym(db: Db, openid: str) -> None:
    """A listing written under the openid itself (before listings used pseudonyms) stays,
    under the pseudonym."""
    entry = db.blacklist.find_one({"_id": f"openid:{openid}"})
    if entry is not None:
        entry["_id"] = f"openid:{pseudonym(openid)}"
        db.blacklist.replace_one({"_id": entry["_id"]}, entry, upsert=True)
        db.blacklist.delete_one({"_id": f"openid:{openid}"})


def delete_my_data(cmd: DeleteMe, *, openid: str, db: Db | None = None) -> Erased:
    """Erase the caller's personal data; what must be kept is kept under a pseudonym. Raises
    Conflict (reason ORDERS_OPEN, `details.order_ids`) while an order still needs the buyer.

    The account is marked first, then its orders read: an order_place racing this erasure
    either wrote its order before the read (and erasure waits for it) or reads the mark after
    writing it (and fails that order itself, forgetting the person). What the erasure sweeps
    away is swept again by `finish_erasures` once every call that could have raced it has
    ended (ERASURE_GRACE); until then the account is a tombstone: its mark and alias only."""
    db = db if db is not None else database()
    if not cmd.confirm:
        return Erased(erased=False, orders_kept_anonymised=0)
    now = utcnow()
    marked = db.users.update_one(
        {"_id": openid}, {"$set": {"erasing": True}, "$min": {"erasing_since": now}}, upsert=True
    )
    waiting, paying = orders_in_progress(db, openid), withdrawals_in_progress(db, openid)
    if waiting or paying:
        if marked.upserted_id is not None:
            db.users.delete_one({"_id": openid, "erasing": True})
        else:
            db.users.update_one({"_id": openid}, {"$unset": {"erasing": "", "erasing_since": ""}})
        raise Conflict(
            "these orders or withdrawals still need you: erasure can follow once they end",
            reason=Reason.ORDERS_OPEN,
            order_ids=waiting,
            withdrawal_ids=paying,
        )
    refunds = refunds_asked_since(db, openid, now - REFUND_WINDOW)
    remember_erased_buyer(db, openid, refunds, now)
    # the alias is kept before anything moves under it: an erasure that dies half-way is
    # finished under the same one
    db.users.update_one(
        {"_id": openid, "erasure_alias": {"$exists": False}},
        {"$set": {"erasure_alias": _new_alias()}},
    )
    account = db.users.find_one({"_id": openid}) or {}
    alias = account.get("erasure_alias") or _new_alias()
    kept = _sweep(db, openid, alias)
    db.users.replace_one(
        {"_id": openid},
        {
            "erasing": True,
            "erasing_since": account.get("erasing_since", now),
            "erasure_alias": alias,
        },
    )
    db.erasures.insert_one({"alias": alias, "at": now, "orders": kept})
    log("personal_data_erased", orders_kept=kept)
    return Erased(erased=True, orders_kept_anonymised=kept)


def finish_erasures(db: Db | None = None, limit: int = 100) -> int:
    """Housekeeping: each account whose erasure began more than ERASURE_GRACE ago (or that
    died midway) is swept again and its tombstone removed, once no order needs it; returns
    how many were finished."""
    db = db if db is not None else database()
    finished = 0
    due = {"erasing": True, "erasing_since": {"$lt": utcnow() - ERASURE_GRACE}}
    for account in db.users.find(due, {"erasure_alias": 1}, limit=limit):
        openid = account["_id"]
        if orders_in_progress(db, openid) or withdrawals_in_progress(db, openid):
            continue  # an order placed before the mark was seen: erasure waits for it
        _sweep(db, openid, account.get("erasure_alias") or _new_alias())
        db.users.delete_one({"_id": openid, "erasing": True})
        finished += 1
    return finished


def _promoter_account_as(db: Db, openid: str, alias: str) -> None:
    """The promoter's balance is a record of money: moved under the alias, exactly. The old
    account's figures are first kept as a snapshot on it (`moving`: an id, the figures, and
    what earlier snapshots already moved); the difference is added to the alias's account
    under a marker naming the snapshot; the old account is deleted only if it still holds the
    snapshot's figures. A credit a racing call made meanwhile is the next snapshot's, and a
    sweep that died half-way is finished without adding twice."""
    for _ in range(TRIES):
        old = db.promoter_accounts.find_one({"_id": openid})
        if old is None:
            return
        figures = {k: int(old.get(k, 0)) for k in FIGURES}
        moving = old.get("moving")
        if moving is None or moving["snap"] != figures:
            done = moving is not None and marked(db, alias, f"ops.merged_{moving['id']}")
            base = (
                dict.fromkeys(FIGURES, 0)
                if moving is None
                else (moving["snap"] if done else moving["base"])
            )
            same = {"moving.id": moving["id"]} if moving else {"moving": {"$exists": False}}
            snap = {"id": secrets.token_hex(8), "snap": figures, "base": base}
            db.promoter_accounts.update_one(
                {"_id": openid, **same, **figures}, {"$set": {"moving": snap}}
            )
            continue
        change = {k: moving["snap"][k] - moving["base"][k] for k in FIGURES}
        mark(db, alias, f"ops.merged_{moving['id']}", change, {})
        gone = db.promoter_accounts.delete_one(
            {"_id": openid, "moving.id": moving["id"], **figures}
        )
        if gone.deleted_count:
            return
    raise Unavailable("the promoter's balance is busy: the erasure's next sweep moves it")


FIGURES = ("available", "withdrawing", "withdrawn", "debt")


def _new_alias() -> str:
    """A pseudonym no one can map back: random, unlike the keyed one of common.pseudonyms."""
    return "erased-" + hashlib.sha256(secrets.token_bytes(32)).hexdigest()[:24]


def _sweep(db: Db, openid: str, alias: str) -> int:
    """Everything personal of `openid` deleted or moved under `alias` (its account document
    aside); safe to repeat. Returns the orders kept anonymised."""
    kept = anonymise_orders(db, openid, alias)
    db.commissions.update_many({"inviter": openid}, {"$set": {"inviter": alias}})
    _promoter_account_as(db, openid, alias)
    db.commissions.update_many({"invitee": openid}, {"$set": {"invitee": alias}})
    db.coupons.update_many(
        {"openid": openid, "status": {"$in": [CouponStatus.USED, CouponStatus.LOCKED]}},
        {"$set": {"openid": alias}},
    )
    for name in OWNED_BY_OPENID:  # a majority holds the deletion: no failover brings it back
        db[name].with_options(write_concern=MAJORITY).delete_many({"openid": openid})
    for name in KEPT_AS_EVIDENCE:
        db[name].update_many({"openid": openid}, {"$set": {"openid": alias}})
    db.withdrawals.update_many({"openid": alias}, {"$unset": {"real_name": ""}})
    db.reviews.update_many(  # the rating stays in the product's average; the words go
        {"openid": openid},
        {"$set": {"openid": alias, "buyer": "已注销用户", "text": "", "images": []}},
    )
    db.tickets.update_many(
        {"openid": openid}, {"$set": {"openid": alias, "text": "(erased)", "reply": None}}
    )
    _blacklisting_by_pseudonym(db, openid)
    for name, field in (
        ("carts", "_id"),
        ("referrals", "_id"),
        ("shares", "inviter"),
        ("consents", "_id"),
        ("customers", "_id"),
    ):
        db[name].delete_many({field: openid})
    db.referrals.update_many({"inviter": openid}, {"$set": {"inviter": alias}})
    db.flags.update_many({"allow": openid}, {"$pull": {"allow": openid}})  # and their audit:
    flags = [flag["_id"] for flag in db.flags.find({}, {"_id": 1})]
    for side in ("before.allow", "after.allow"):
        audited = {"target": {"$in": flags}, side: openid}
        db.audit_log.update_many(audited, {"$pull": {side: openid}})
    db.rate_windows.delete_many({"_id": {"$regex": f":{re.escape(openid)}:"}})
    forget_visitor(openid)
    return kept
