"""Guardrails through the handlers: privacy consent before an address is stored, the
blacklist, order velocity, accounts sharing an address, purchase limits, guarded coupons,
reused devices on share rewards, refund abuse, the review queue and audited plain views."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from retail.common.clock import utcnow
from retail.common.pseudonyms import pseudonym
from retail.common.settings import reset_settings
from retail.orders import mark_paid
from retail.risk.limits import forget_risk_limits

from ..conftest import business_state
from .harness import as_operator, handler, sample

POLICY = {"version": "2026-01", "share_contact": True}
DEVICE = "dev-install-0001"


def as_buyer(name, data, openid="o-test-user"):
    from .harness import cloudbase_context

    return handler(name)(data, cloudbase_context(openid))


def order(key, openid="o-test-user", **changes):
    data = {**sample("order_place"), "idempotency_key": key, **changes}
    return as_buyer("order_place", data, openid)


def accept(openid):
    assert as_buyer("consent_accept", POLICY, openid)["code"] == "OK"


def limits(monkeypatch, **values):
    monkeypatch.setenv("RETAIL_RISK_LIMITS", json.dumps(values))
    reset_settings()
    forget_risk_limits()


def test_no_address_is_stored_before_consent_and_none_after_withdrawal(seeded):
    before = business_state(seeded)
    refused = order("consent-0001")
    assert refused["code"] == "FORBIDDEN" and refused["details"]["reason"] == "CONSENT_REQUIRED"
    assert refused["details"]["policy_version"] == "2026-01"
    assert business_state(seeded) == before
    assert as_buyer("consent_accept", {"version": "2025-01"})["code"] == "CONFLICT"
    # The policy alone is not the separate consent to hand the address to merchants and riders.
    policy_only = as_buyer("consent_accept", {"version": "2026-01"})["data"]
    assert policy_only["collecting"] is True and policy_only["share_contact"] is False
    withheld = order("consent-0002")
    assert withheld["code"] == "FORBIDDEN" and withheld["details"]["share_contact_required"]
    preview = {k: v for k, v in sample("order_place").items() if k != "idempotency_key"}
    assert as_buyer("order_preview", preview)["code"] == "FORBIDDEN"  # not even priced
    accepted = as_buyer("consent_accept", POLICY)["data"]
    assert accepted["collecting"] is True and accepted["accepted_version"] == "2026-01"
    assert accepted["share_contact"] is True
    assert as_buyer("user_me", {})["data"]["consent"]["share_contact"] is True
    assert order("consent-0003")["code"] == "OK"
    withdrawn = as_buyer("consent_withdraw", {})["data"]
    assert withdrawn["collecting"] is False and withdrawn["share_contact"] is False
    assert order("consent-0004")["code"] == "FORBIDDEN"
    pickup = order("consent-0005", delivery="pickup", address=None, store_id="s-cuihu")
    assert pickup["code"] == "OK" and pickup["data"]["address"] is None
    log = [
        (e["action"], e.get("version"), e.get("share_contact"))
        for e in seeded.consent_log.find({}, sort=[("at", 1)])
    ]
    assert log == [
        ("accept", "2026-01", False),
        ("accept", "2026-01", True),
        ("withdraw", None, None),
    ]


def test_a_new_policy_version_needs_a_new_acceptance(seeded, monkeypatch):
    accept("o-test-user")
    assert order("policy-0001")["code"] == "OK"
    monkeypatch.setenv("RETAIL_PRIVACY_POLICY_VERSION", "2027-01")
    reset_settings()
    assert order("policy-0002")["code"] == "FORBIDDEN"
    assert as_buyer("consent_accept", {**POLICY, "version": "2027-01"})["code"] == "OK"
    assert order("policy-0003")["code"] == "OK"


def test_order_velocity_blocks_the_next_order_with_a_risk_event(seeded, monkeypatch):
    limits(monkeypatch, orders_per_10_minutes=3)
    accept("o-test-user")
    assert [order(f"velocity-{i:04d}")["code"] for i in range(3)] == ["OK"] * 3
    blocked = order("velocity-0003")
    assert blocked["code"] == "FORBIDDEN" and blocked["details"]["reason"] == "RISK_BLOCKED"
    assert seeded.orders.count_documents({}) == 3
    event = seeded.risk_events.find_one({"kind": "order_velocity"})
    assert event["action"] == "block" and event["evidence"]["orders"] == 3


def test_blacklisted_buyers_and_phones_are_refused_until_delisted(seeded):
    accept("o-test-user")
    accept("o-other")
    entry = {"kind": "openid", "value": "o-test-user", "reason": "coupon brushing"}
    assert as_operator("blacklist_update", entry, "service")["code"] == "FORBIDDEN"
    assert as_operator("blacklist_update", entry)["data"]["listed"] is True
    assert as_buyer("coupon_claim", {"template_id": "c-new-user"})["code"] == "FORBIDDEN"
    assert order("black-0001")["code"] == "FORBIDDEN"
    phone = {"kind": "phone", "value": "+86 138 0000 1111", "reason": "fraud ring"}
    assert as_operator("blacklist_update", phone)["code"] == "OK"
    assert order("black-0002", openid="o-other")["code"] == "FORBIDDEN"  # same phone
    assert as_operator("blacklist_update", {**entry, "listed": False})["code"] == "OK"
    assert as_operator("blacklist_update", {**phone, "listed": False})["code"] == "OK"
    assert order("black-0003")["code"] == "OK"
    audit = [a["action"] for a in seeded.audit_log.find({})]
    assert audit.count("blacklist_update") == 4
    assert "13800001111" not in json.dumps(list(seeded.blacklist.find({})), default=str)


def test_a_fourth_account_at_one_address_is_held_until_reviewed(seeded, monkeypatch):
    limits(monkeypatch, accounts_per_phone=50)
    for n in range(4):
        accept(f"o-family-{n}")
    placed = [order(f"shared-{n:04d}", openid=f"o-family-{n}")["data"] for n in range(4)]
    held = seeded.orders.find_one({"_id": placed[3]["order_id"]})
    assert [
        seeded.orders.find_one({"_id": p["order_id"]}).get("risk_hold") for p in placed[:3]
    ] == [None] * 3
    assert held["risk_hold"] == f"shared:{placed[3]['order_id']}"
    queue = as_operator("risk_queue", {}, "service")["data"]["events"]
    assert [e["kind"] for e in queue] == ["shared_address"]
    assert queue[0]["evidence"]["address"]["accounts"] == 4
    assert "南屏街" not in json.dumps(queue, ensure_ascii=False)  # fingerprints, not addresses
    mark_paid(seeded, placed[3]["order_id"], "TX-held", placed[3]["total"])
    ship = {"order_id": placed[3]["order_id"], "carrier": "SF", "tracking_no": "SF100000001"}
    refused = as_operator("order_ship", ship)
    assert refused["code"] == "CONFLICT" and "risk" in refused["message"]
    review = {"event_id": queue[0]["event_id"], "decision": "RELEASE", "note": "one family"}
    assert as_operator("risk_review", review, "service")["data"]["status"] == "RELEASED"
    assert as_operator("risk_review", review)["code"] == "CONFLICT"  # decided once
    assert as_operator("order_ship", ship)["data"]["status"] == "SHIPPED"
    assert as_operator("risk_queue", {}, "merchant:m-self")["code"] == "FORBIDDEN"


@pytest.mark.parametrize("paid", [False, True])
def test_rejecting_a_held_order_cancels_or_refunds_it(seeded, monkeypatch, paid):
    limits(monkeypatch, accounts_per_address=1, accounts_per_phone=50)
    accept("o-a")
    accept("o-b")
    order("reject-0001", openid="o-a")
    held = order("reject-0002", openid="o-b")["data"]
    if paid:
        mark_paid(seeded, held["order_id"], "TX-reject", held["total"])
    event = seeded.orders.find_one({"_id": held["order_id"]})["risk_hold"]
    reviewed = as_operator("risk_review", {"event_id": event, "decision": "REJECT"})
    assert reviewed["data"]["status"] == "REJECTED"
    after = seeded.orders.find_one({"_id": held["order_id"]})
    assert after["status"] == ("REFUNDING" if paid else "CANCELLED")
    assert all(line["stock"] == "RELEASED" for line in after["lines"])


def test_purchase_limits_hold_per_buyer_device_and_address(seeded):
    seeded.skus.update_one({"_id": "p-walnut-1"}, {"$set": {"limit_per_buyer": 2}})
    for who in ("o-test-user", "o-other", "o-third", "o-fresh"):
        accept(who)
        as_buyer("user_login", {}, who)
    walnuts = [{"sku_id": "p-walnut-1", "qty": 2}]
    fresh = order("cap-0000", "o-fresh", items=walnuts)
    assert fresh["code"] == "FORBIDDEN" and fresh["details"]["reason"] == "NEW_ACCOUNT"
    seeded.users.update_many({}, {"$set": {"first_seen_at": utcnow() - timedelta(hours=1)}})
    first = order("cap-0001", items=walnuts, device_id=DEVICE)["data"]
    again = order("cap-0002", items=[{"sku_id": "p-walnut-1", "qty": 1}])
    assert again["code"] == "CONFLICT" and again["details"]["sku_id"] == "p-walnut-1"
    assert order("cap-0002", items=[{"sku_id": "p-walnut-1", "qty": 1}])["code"] == "CONFLICT"
    other_address = {**sample("order_place")["address"], "detailInfo": "金碧路1号"}
    same_device = order(
        "cap-0003", "o-other", items=walnuts, device_id=DEVICE, address=other_address
    )
    assert same_device["code"] == "CONFLICT"
    assert order("cap-0004", "o-third", items=walnuts)["code"] == "CONFLICT"  # same address
    assert as_buyer("order_cancel", {"order_id": first["order_id"]})["code"] == "OK"
    assert order("cap-0005", items=walnuts)["code"] == "OK"
    cap = seeded.purchase_caps.find_one({"_id": f"p-walnut-1:buyer:{pseudonym('o-test-user')}"})
    assert cap["units"] == 2 and len(cap["orders"]) == 1


def test_guarded_coupons_refuse_new_accounts_and_crowded_devices(seeded):
    seeded.coupon_templates.update_one({"_id": "c-fruit-10"}, {"$set": {"guarded": True}})
    claim = {"template_id": "c-fruit-10", "device_id": DEVICE}
    as_buyer("user_login", {}, "o-fresh")
    fresh = as_buyer("coupon_claim", claim, "o-fresh")
    assert fresh["code"] == "FORBIDDEN" and fresh["details"]["reason"] == "NEW_ACCOUNT"
    for n in range(4):
        as_buyer("user_login", {}, f"o-aged-{n}")
    seeded.users.update_many({}, {"$set": {"first_seen_at": utcnow() - timedelta(days=2)}})
    codes = [as_buyer("coupon_claim", claim, f"o-aged-{n}")["code"] for n in range(4)]
    assert codes == ["OK", "OK", "OK", "FORBIDDEN"]
    assert seeded.risk_events.count_documents({"kind": "device_claims"}) == 1
    assert as_buyer("coupon_claim", {"template_id": "c-new-user"}, "o-fresh")["code"] == "OK"


def test_one_device_earns_one_new_user_reward(seeded):
    for who in ("o-alice", "o-bob", "o-carol"):
        as_buyer("user_login", {}, who)
    code = as_buyer("share_create", {}, "o-alice")["data"]["share_code"]
    first = as_buyer("share_reward", {"share_code": code, "device_id": DEVICE}, "o-bob")
    second = as_buyer("share_reward", {"share_code": code, "device_id": DEVICE}, "o-carol")
    assert first["data"]["points_awarded"] == 50 and second["data"]["points_awarded"] == 0
    assert second["data"]["bound"] is True
    assert seeded.risk_events.find_one({"kind": "reward_device_reused"})["openid"] == "o-carol"


def _two_paid_orders_and_one_refund_allowed(db, monkeypatch, key: str) -> list[str]:
    limits(monkeypatch, refunds_per_30_days=1)
    accept("o-test-user")
    paid = []
    for n in range(2):
        placed = order(f"{key}-{n:04d}")["data"]
        mark_paid(db, placed["order_id"], f"TX-{key}-{n}", placed["total"])
        paid.append(placed["order_id"])
    return paid


def test_a_buyer_refunding_often_waits_for_an_operator(seeded, monkeypatch):
    paid = _two_paid_orders_and_one_refund_allowed(seeded, monkeypatch, "refund")
    ask = {"reason": "changed my mind"}
    assert as_buyer("refund_request", {**ask, "order_id": paid[0]})["data"]["status"] == "REFUNDING"
    held = as_buyer("refund_request", {**ask, "order_id": paid[1]})["data"]
    assert held["status"] == "PAID"
    assert seeded.risk_events.find_one({"kind": "refund_abuse"})["order_id"] == paid[1]
    approved = as_operator("refund_review", {"order_id": paid[1], "approve": True})
    assert approved["data"]["status"] == "REFUNDING"
    assert seeded.orders.find_one({"_id": paid[1]})["restock"] is True


@pytest.mark.parametrize("decision", ["REJECT", "RELEASE"])
def test_a_risk_decision_on_a_held_refund_request_decides_the_request_not_the_order(
    seeded, monkeypatch, decision
):
    """The refund-abuse rule holds a request, not the order: rejecting the event rejects the
    request (the paid order stays as it is); releasing it leaves the request for review."""
    paid = _two_paid_orders_and_one_refund_allowed(seeded, monkeypatch, "abuse")
    ask = {"reason": "changed my mind"}
    as_buyer("refund_request", {**ask, "order_id": paid[0]})
    as_buyer("refund_request", {**ask, "order_id": paid[1]})
    event = seeded.risk_events.find_one({"kind": "refund_abuse"})
    review = {"event_id": event["_id"], "decision": decision}
    assert as_operator("risk_review", review)["code"] == "OK"
    held = seeded.orders.find_one({"_id": paid[1]})
    assert held["status"] == "PAID" and "refund_status" not in held
    assert seeded.refunds.count_documents({"order_id": paid[1]}) == 0
    expected = "REJECTED" if decision == "REJECT" else "REQUESTED"
    assert held["refund_request"]["status"] == expected


def test_plain_views_are_for_allowed_roles_with_a_reason_and_audited(seeded):
    accept("o-test-user")
    order("plain-0001")
    assert (
        as_operator("order_search", {"plain": True, "reason": "x" * 5}, "service")["code"]
        == "FORBIDDEN"
    )
    assert as_operator("order_search", {"plain": True})["code"] == "INVALID_ARGUMENT"
    assert seeded.audit_log.count_documents({}) == 0
    seen = as_operator("order_search", {"plain": True, "reason": "courier lost the parcel"})
    assert seen["data"]["orders"][0]["address"]["telNumber"] == "13800001111"
    audit = seeded.audit_log.find_one({"action": "personal_data_viewed"})
    assert audit["operator_id"] == "op1" and audit["after"]["reason"] == "courier lost the parcel"
