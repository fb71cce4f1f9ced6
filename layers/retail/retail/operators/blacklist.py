"""The blacklist admins keep: openids, devices, addresses, phones and IPs the risk rules
refuse. Address and phone entries are fingerprints and openids pseudonyms, never the value in
clear. Audited."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from retail.common.audit import record_audit
from retail.common.clientip import normalise_ip
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import InvalidArgument
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator
from retail.common.pseudonyms import PSEUDONYM, pseudonym
from retail.risk import phone_fingerprint
from retail.store import Db


class UpdateBlacklist(BaseModel):
    model_config = STRICT
    kind: Literal["openid", "device", "ip", "address", "phone"]
    value: str = Field(min_length=1, max_length=200)
    listed: bool = True
    reason: str = Field(min_length=1, max_length=200)


class BlacklistEntry(BaseModel):
    model_config = OUT
    entry_id: str
    listed: bool


def update_blacklist(
    cmd: UpdateBlacklist, *, operator: Operator, db: Db | None = None
) -> BlacklistEntry:
    """Address and phone entries are fingerprints, as risk events show them; a phone may
    also be given as the number. Raises InvalidArgument for an address given in clear."""
    db = db if db is not None else database()
    value = cmd.value
    if cmd.kind == "ip":
        value = normalise_ip(value) or ""
        if not value:
            raise InvalidArgument("an ip entry is one IPv4 or IPv6 address")
    if cmd.kind == "phone" and not _is_fingerprint(value):
        value = phone_fingerprint(value) or ""
        if not value:
            raise InvalidArgument("a phone is its fingerprint or a number with digits")
    if cmd.kind == "openid" and not PSEUDONYM.match(value):
        value = pseudonym(value)
    if cmd.kind == "address" and not _is_fingerprint(value):
        raise InvalidArgument("give the address fingerprint a risk event shows")
    entry_id = f"{cmd.kind}:{value}"
    before = db.blacklist.find_one({"_id": entry_id})
    if cmd.listed:
        db.blacklist.update_one(
            {"_id": entry_id},
            {"$set": {"reason": cmd.reason, "by": operator.operator_id, "at": utcnow()}},
            upsert=True,
        )
    else:
        # A listing written under the openid itself, before listings used pseudonyms, too.
        db.blacklist.delete_many({"_id": {"$in": [entry_id, f"{cmd.kind}:{cmd.value}"]}})
    record_audit(
        db,
        operator,
        "blacklist_update",
        entry_id,
        {"listed": before is not None},
        {"listed": cmd.listed, "reason": cmd.reason},
    )
    return BlacklistEntry(entry_id=entry_id, listed=cmd.listed)


def _is_fingerprint(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)
