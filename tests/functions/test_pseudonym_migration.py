"""scripts/migrate_pseudonyms.py on records shaped as before ids used pseudonyms: the limits
they hold keep holding, a second run changes nothing, and an erasure afterwards leaves no
openid anywhere."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import timedelta
from pathlib import Path

from retail.common.clock import utcnow
from retail.common.pseudonyms import pseudonym

from .harness import as_operator, call, finish_erasures, sample

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from migrate_pseudonyms import migrate

OLD = "o-legacy"


def _legacy_records(db, order_id):
    now = utcnow()
    db.purchase_caps.insert_one(
        {"_id": f"p-eggs-1:openid:{OLD}", "units": 1, "orders": {order_id: 1}}
    )
    db.blacklist.insert_one({"_id": "openid:o-banned", "reason": "刷单", "at": now})
    db.coupons.insert_one(
        {
            "_id": f"c-new-user:{OLD}:1",
            "openid": OLD,
            "template_id": "c-new-user",
            "title": "新人券",
            "kind": "fixed",
            "discount": 500,
            "rate_bp": 0,
            "threshold": 3000,
            "scope": {"kind": "all", "ids": []},
            "valid_from": None,
            "expires_at": None,
            "status": "USED",
            "order_id": order_id,
            "claimed_at": now,
        }
    )
    db.orders.update_one({"_id": order_id}, {"$set": {"coupon_id": f"c-new-user:{OLD}:1"}})
    db.risk_events.insert_one(
        {
            "_id": f"velocity:order:{OLD}:k1",
            "kind": "order_velocity",
            "openid": OLD,
            "status": "OPEN",
        }
    )
    db.points_ledger.insert_one(
        {"_id": f"invite:o-inviter:{OLD}", "openid": "o-inviter", "delta": 50}
    )
    db.commissions.insert_one(
        {"_id": f"o-inviter:{OLD}:first_order:{order_id}", "order_id": order_id, "invitee": OLD}
    )
    db.invite_caps.insert_one({"_id": "o-inviter:20261201", "count": 3})
    db.groups.insert_one({"_id": "GLEGACY", "leader": OLD, "members": {OLD: order_id}, "joined": 1})
    db.account_sets.insert_one({"_id": "invitee-device:d1:2026-12-01", "openids": [OLD]})
    old_key = hashlib.sha256(OLD.encode()).hexdigest()[:16]
    db.daily_active_users.insert_one(
        {"_id": "2026-12-01||0", "day": "2026-12-01", "users": [old_key]}
    )


def test_legacy_records_are_rewritten_once_and_keep_their_limits(seeded):
    seeded.skus.update_one({"_id": "p-eggs-1"}, {"$set": {"limit_per_buyer": 1}})
    call("user_login", {}, OLD)
    seeded.users.update_one({"_id": OLD}, {"$set": {"first_seen_at": utcnow() - timedelta(days=2)}})
    order = call(
        "order_place",
        {
            "items": [{"sku_id": "p-eggs-2", "qty": 1}],
            "idempotency_key": "legacy-0001",
            "delivery": "pickup",
            "store_id": "s-nanping",
        },
        OLD,
    )["data"]
    _legacy_records(seeded, order["order_id"])
    moved = migrate(seeded)
    assert all(moved[name] >= 1 for name in moved), moved
    assert sum(migrate(seeded).values()) == 0  # idempotent
    cap = seeded.purchase_caps.find_one({"_id": f"p-eggs-1:buyer:{pseudonym(OLD)}"})
    assert cap["units"] == 1
    again = call(
        "order_place",
        {
            "items": [{"sku_id": "p-eggs-1", "qty": 1}],
            "idempotency_key": "legacy-0002",
            "delivery": "pickup",
            "store_id": "s-nanping",
        },
        OLD,
    )
    assert again["code"] == "CONFLICT" and again["details"]["sku_id"] == "p-eggs-1"
    banned = call(
        "order_place", {**sample("order_place"), "idempotency_key": "legacy-0003"}, "o-banned"
    )
    assert banned["code"] == "FORBIDDEN" and banned["details"]["reason"] == "RISK_BLOCKED"
    from retail.analytics.keys import user_key

    active = seeded.daily_active_users.find_one({"_id": "2026-12-01||0"})
    assert active["users"] == [user_key(OLD)]
    coupon = f"c-new-user:{pseudonym(OLD)}:1"
    assert seeded.orders.find_one({"_id": order["order_id"]})["coupon_id"] == coupon
    assert seeded.commissions.find_one({"_id": f"first_order:{order['order_id']}"})
    lifted = as_operator(
        "blacklist_update",
        {"kind": "openid", "value": "o-banned", "listed": False, "reason": "申诉"},
    )
    assert lifted["code"] == "OK" and seeded.blacklist.count_documents({}) == 0
    call("order_cancel", {"order_id": order["order_id"]}, OLD)
    assert call("user_delete", {"confirm": True}, OLD)["code"] == "OK"
    finish_erasures()
    everything = json.dumps(
        {c: list(seeded[c].find({})) for c in seeded.list_collection_names()}, default=str
    )
    assert OLD not in everything


def test_a_migration_that_died_after_copying_a_used_coupon_keeps_it_used(seeded):
    order = {"_id": "OLEGACYCOUPON", "coupon_id": f"c-new-user:{OLD}:1"}
    seeded.orders.insert_one(order)
    _legacy_records(seeded, order["_id"])
    new_id = f"c-new-user:{pseudonym(OLD)}:1"
    used = seeded.coupons.find_one({"_id": f"c-new-user:{OLD}:1"})
    seeded.coupons.insert_one({**used, "_id": new_id, "status": "AVAILABLE", "order_id": None})
    migrate(seeded)
    coupon = seeded.coupons.find_one({"_id": new_id})
    assert coupon["status"] == "USED" and coupon["order_id"] == order["_id"]
    assert seeded.coupons.count_documents({"openid": OLD}) == 1


def test_a_sku_id_holding_openid_is_not_taken_for_a_legacy_cap(seeded):
    cap_id = f"sku:openid:x:buyer:{pseudonym(OLD)}"
    seeded.purchase_caps.insert_one({"_id": cap_id, "units": 1, "orders": {"O1": 1}})
    migrate(seeded)
    assert seeded.purchase_caps.find_one({"_id": cap_id})["units"] == 1
