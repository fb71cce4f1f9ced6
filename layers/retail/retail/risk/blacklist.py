"""The blacklist: openids, devices, IPs, address and phone fingerprints that may not claim,
be rewarded or order. Entries are `<kind>:<value>` documents written by admins; an openid is
listed by its pseudonym, so the listing outlives the account's erasure and names nobody (an
entry written before that, under the openid itself, is still honoured)."""

from __future__ import annotations

from typing import Any

from retail.common.pseudonyms import pseudonym
from retail.store import Db

from .signals import Signals


def blacklisted(db: Db, signals: Signals) -> dict[str, Any] | None:
    """The first blacklist entry matching any of the signals, or None."""
    ids = [f"{kind}:{value}" for kind, value in signals.present().items()]
    ids.append(f"openid:{pseudonym(signals.openid)}")
    entry: dict[str, Any] | None = db.blacklist.find_one({"_id": {"$in": ids}})
    return entry
