"""A user's acceptance of the current privacy policy, recorded before any phone number,
name, address or location of theirs is stored (个人信息保护法 art. 13-15).

Handing a buyer's name, phone and address to others (the merchant who ships, the rider who
delivers) needs a separate consent (单独同意, art. 23), given beside the acceptance
(`share_contact`); an order or a preview that carries an address needs both.

`consents` holds each user's current state (one document per openid, changed by
conditional updates); `consent_log` keeps every acceptance and withdrawal as evidence, with
whether the separate consent was given. A new policy version needs a new acceptance; a
withdrawal stops collection and sharing at once.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, Forbidden, Reason
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.settings import settings
from retail.store import Db, upsert_where


class AcceptPolicy(BaseModel):
    model_config = STRICT
    version: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
    share_contact: bool = Field(
        False,
        description="the separate consent (PIPL art. 23) to hand name, phone and address to "
        "the merchant and the rider of the buyer's orders",
    )


class WithdrawConsent(BaseModel):
    model_config = STRICT


class ConsentState(BaseModel):
    model_config = OUT
    current_version: str
    accepted_version: str | None = None
    accepted_at: datetime | None = None
    withdrawn_at: datetime | None = None
    collecting: bool
    share_contact: bool = Field(
        description="the separate consent to share contact details is given, for this version"
    )


def consent_state(db: Db, openid: str) -> ConsentState:
    doc = db.consents.find_one({"_id": openid}) or {}
    current = settings().RETAIL_PRIVACY_POLICY_VERSION
    return ConsentState(
        current_version=current,
        accepted_version=doc.get("version"),
        accepted_at=doc.get("accepted_at"),
        withdrawn_at=doc.get("withdrawn_at"),
        collecting=doc.get("version") == current,
        share_contact=doc.get("version") == current and bool(doc.get("share_contact")),
    )


def accept_policy(cmd: AcceptPolicy, *, openid: str, db: Db | None = None) -> ConsentState:
    """Raises Conflict when the version shown to the user is not the current policy."""
    db = db if db is not None else database()
    current = settings().RETAIL_PRIVACY_POLICY_VERSION
    if cmd.version != current:
        raise Conflict(
            f"policy version {cmd.version!r} is not the current one", current_version=current
        )
    now = utcnow()
    accepted = {"version": current, "share_contact": cmd.share_contact}
    changed = upsert_where(
        db.consents,
        {
            "_id": openid,
            "$or": [{"version": {"$ne": current}}, {"share_contact": {"$ne": cmd.share_contact}}],
        },
        {"$set": {**accepted, "accepted_at": now, "withdrawn_at": None}},
    )
    if changed is None:  # already accepted this version so: nothing to record
        return consent_state(db, openid)
    if changed.modified_count or changed.upserted_id is not None:
        db.consent_log.insert_one({"openid": openid, "action": "accept", **accepted, "at": now})
        log("privacy_consent_accepted", version=current, share_contact=cmd.share_contact)
    return consent_state(db, openid)


def withdraw_consent(_: WithdrawConsent, *, openid: str, db: Db | None = None) -> ConsentState:
    db = db if db is not None else database()
    now = utcnow()
    changed = db.consents.update_one(
        {"_id": openid, "version": {"$ne": None}},
        {"$set": {"version": None, "share_contact": False, "withdrawn_at": now}},
    )
    if changed.modified_count:
        db.consent_log.insert_one({"openid": openid, "action": "withdraw", "at": now})
        log("privacy_consent_withdrawn")
    return consent_state(db, openid)


def require_consent(db: Db, openid: str, purpose: str, *, shared: bool = False) -> None:
    """Raises Forbidden (details name the policy to accept, and whether the separate consent
    to share contact details is needed too) unless the caller has accepted the current policy
    version and, when the data goes to merchants and riders (`shared`), given that consent."""
    state = consent_state(db, openid)
    if not state.collecting or (shared and not state.share_contact):
        raise Forbidden(
            f"accept the privacy policy before we use your {purpose}",
            reason=Reason.CONSENT_REQUIRED,
            policy_version=state.current_version,
            share_contact_required=shared,
        )
