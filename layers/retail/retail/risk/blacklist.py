"""The blacklist: openids, devices, IPs, address and phone fingerprints that may not claim,
be rewarded or order. Entries are `<kind>:<value>` documents written by admins."""

from __future__ import annotations

from typing import Any

from .signals import Signals


def blacklisted(db: Any, signals: Signals) -> dict[str, Any] | None:
    """The first blacklist entry matching any of the signals, or None."""
    ids = [f"{kind}:{value}" for kind, value in signals.present().items()]
    entry: dict[str, Any] | None = db.blacklist.find_one({"_id": {"$in": ids}})
    return entry
