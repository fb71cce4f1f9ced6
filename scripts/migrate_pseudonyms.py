"""Rewrite records written before ids used pseudonyms (decision 0015), once, before or right
after deploying that change, in the store named by RETAIL_DB_URI (idempotent: a second run
changes nothing):

    .venv/bin/python scripts/migrate_pseudonyms.py

Ids and field names built from an openid get the openid's pseudonym instead (coupon slots,
purchase caps, blacklist entries, risk events, invite ledger keys, first-order commissions,
invite caps, group members and leaders, device account sets, and the members of daily
analytics aggregates), so the limits they hold keep holding, reports spanning the change
count each user once, and an erasure leaves no openid behind. Needs RETAIL_PSEUDONYM_SECRET
as deployed.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

from retail.analytics.keys import user_key
from retail.common.database import database
from retail.common.pseudonyms import PSEUDONYM, pseudonym


def _plain(value: Any) -> bool:
    """An openid (or an erasure alias) rather than a pseudonym."""
    return isinstance(value, str) and bool(value) and not PSEUDONYM.match(value)


def _rekey(db: Any, name: str, doc: dict[str, Any], new_id: str) -> None:
    """The document under `new_id` (kept if already there), then the old one gone."""
    if new_id == doc["_id"]:
        return
    if db[name].find_one({"_id": new_id}, {"_id": 1}) is None:
        db[name].insert_one({**doc, "_id": new_id})
    db[name].delete_one({"_id": doc["_id"]})


def coupons(db: Any) -> int:
    moved = 0
    for doc in db.coupons.find({}):
        legacy = f"{doc['template_id']}:{doc['openid']}:"
        if _plain(doc["openid"]) and str(doc["_id"]).startswith(legacy):
            slot = str(doc["_id"]).removeprefix(legacy)
            new_id = f"{doc['template_id']}:{pseudonym(doc['openid'])}:{slot}"
            if doc["status"] != "AVAILABLE":  # a run that died after copying: the use wins
                db.coupons.update_one(
                    {"_id": new_id, "status": "AVAILABLE"},
                    {"$set": {"status": doc["status"], "order_id": doc.get("order_id")}},
                )
            _rekey(db, "coupons", doc, new_id)
            db.orders.update_many({"coupon_id": doc["_id"]}, {"$set": {"coupon_id": new_id}})
            moved += 1
    return moved


def purchase_caps(db: Any) -> int:
    moved = 0
    for doc in db.purchase_caps.find({"_id": {"$regex": ":openid:"}}):
        sku, _, openid = doc["_id"].rpartition(":openid:")
        if not _plain(openid) or ":" in openid:  # a SKU id that itself holds ":openid:"
            continue
        new_id = f"{sku}:buyer:{pseudonym(openid)}"
        held = {**(db.purchase_caps.find_one({"_id": new_id}) or {}).get("orders", {})}
        held.update(doc.get("orders") or {})
        db.purchase_caps.replace_one(
            {"_id": new_id}, {"units": sum(held.values()), "orders": held}, upsert=True
        )
        db.purchase_caps.delete_one({"_id": doc["_id"]})
        moved += 1
    return moved


def by_id(name: str, new_id: Callable[[dict[str, Any]], str | None]) -> Callable[[Any], int]:
    def migrate(db: Any) -> int:
        moved = 0
        for doc in db[name].find({}):
            target = new_id(doc)
            if target is not None and target != doc["_id"]:
                _rekey(db, name, doc, target)
                moved += 1
        return moved

    return migrate


def _blacklist_id(doc: dict[str, Any]) -> str | None:
    kind, value = doc["_id"].split(":", 1)
    return f"openid:{pseudonym(value)}" if kind == "openid" and _plain(value) else None


def _risk_event_id(doc: dict[str, Any]) -> str | None:
    openid = doc.get("openid")
    if _plain(openid) and f":{openid}" in doc["_id"]:
        return str(doc["_id"]).replace(f":{openid}", f":{pseudonym(openid)}")
    return None


def _ledger_id(doc: dict[str, Any]) -> str | None:
    parts = str(doc["_id"]).split(":")
    if len(parts) == 3 and parts[0] == "invite" and (_plain(parts[1]) or _plain(parts[2])):
        inviter, visitor = (p if PSEUDONYM.match(p) else pseudonym(p) for p in parts[1:])
        return f"invite:{inviter}:{visitor}"
    return None


def _commission_id(doc: dict[str, Any]) -> str | None:
    return f"first_order:{doc['order_id']}" if ":first_order:" in doc["_id"] else None


def _invite_cap_id(doc: dict[str, Any]) -> str | None:
    owner, _, day = str(doc["_id"]).rpartition(":")
    return f"{pseudonym(owner)}:{day}" if _plain(owner) else None


def groups(db: Any) -> int:
    moved = 0
    for doc in db.groups.find({}):
        members = doc.get("members") or {}
        if any(_plain(m) for m in members) or _plain(doc.get("leader")):
            keyed = {m if PSEUDONYM.match(m) else pseudonym(m): o for m, o in members.items()}
            leader = doc.get("leader")
            db.groups.update_one(
                {"_id": doc["_id"]},
                {
                    "$set": {
                        "members": keyed,
                        "leader": pseudonym(leader) if _plain(leader) else leader,
                    }
                },
            )
            moved += 1
    return moved


def account_sets(db: Any) -> int:
    moved = 0
    for doc in db.account_sets.find({}):
        accounts = doc.get("openids") or []
        if any(_plain(a) for a in accounts):
            keyed = [a if PSEUDONYM.match(a) else pseudonym(a) for a in accounts]
            db.account_sets.update_one({"_id": doc["_id"]}, {"$set": {"openids": keyed}})
            moved += 1
    return moved


def analytics_keys(db: Any) -> int:
    """Members of daily aggregates were an unkeyed digest of the openid: rewritten to the keyed
    one (analytics.keys) for every openid the store still knows (customers and users), so a
    report or retention cohort spanning the change counts each user once."""
    known = {*db.users.distinct("_id"), *db.customers.distinct("_id")}
    keys = {hashlib.sha256(o.encode()).hexdigest()[:16]: user_key(o) for o in known if _plain(o)}
    moved = 0
    for name in ("daily_payers", "daily_active_users"):
        for doc in db[name].find({}, {"users": 1}):
            users = doc.get("users") or []
            if any(u in keys for u in users):
                rewritten = sorted({keys.get(u, u) for u in users})
                db[name].update_one({"_id": doc["_id"]}, {"$set": {"users": rewritten}})
                moved += 1
    return moved


STEPS: dict[str, Callable[[Any], int]] = {
    "coupons": coupons,
    "purchase_caps": purchase_caps,
    "blacklist": by_id("blacklist", _blacklist_id),
    "risk_events": by_id("risk_events", _risk_event_id),
    "points_ledger": by_id("points_ledger", _ledger_id),
    "commissions": by_id("commissions", _commission_id),
    "invite_caps": by_id("invite_caps", _invite_cap_id),
    "groups": groups,
    "account_sets": account_sets,
    "analytics_keys": analytics_keys,
}


def migrate(db: Any) -> Counter[str]:
    return Counter({name: step(db) for name, step in STEPS.items()})


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.parse_args()
    moved = migrate(database())
    print(", ".join(f"{count} {name}" for name, count in moved.items()) + " rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
