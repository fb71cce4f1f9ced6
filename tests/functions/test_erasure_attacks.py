"""Erasing an account (user_delete) as an attacker uses it: to become a new buyer again, to
strand an order a merchant must still ship, or hoping the openid survives somewhere. The
anti-abuse facts outlive erasure under the keyed pseudonym only; nothing names the openid."""

from __future__ import annotations

import json
from datetime import timedelta

from retail.common.clock import travel, utcnow
from retail.orders.refunding import finish_refund

from ..conftest import business_state, shop_collections
from .harness import as_operator, call, completed_order, finish_erasures, paid_order, sample

INVITER = "o-inviter"
CHEAT = "o-cheat"
PICKUP = {
    "items": [{"sku_id": "p-eggs-1", "qty": 1}],
    "delivery": "pickup",
    "store_id": "s-nanping",
}


def _erase(openid=CHEAT):
    """Erase, and let the timer finish it (the account stays a tombstone for a minute)."""
    answer = call("user_delete", {"confirm": True}, openid)
    assert answer["code"] == "OK" and answer["data"]["erased"] is True, answer
    assert finish_erasures()["erasures_finished"] == 1
    return answer["data"]


def _picked_up(key: str, openid=CHEAT) -> dict:
    placed = call("order_place", {**PICKUP, "idempotency_key": key}, openid)["data"]
    from retail.common.database import database
    from retail.orders import mark_paid

    assert mark_paid(database(), placed["order_id"], f"TX-{key}", placed["total"])
    check = {"store_id": "s-nanping", "pickup_code": placed["pickup_code"]}
    assert as_operator("order_pickup_verify", check, "service")["data"]["status"] == "COMPLETED"
    return placed


def test_an_erased_invitee_earns_its_inviter_one_first_order_commission_only(seeded):
    call("user_login", {}, INVITER)
    code = call("share_create", {}, INVITER)["data"]["share_code"]
    for round_no in range(3):
        call("user_login", {}, CHEAT)
        bound = call("share_reward", {"share_code": code}, CHEAT)["data"]["bound"]
        assert bound is (round_no == 0)  # a WeChat user who erased an account is not new
        _picked_up(f"erase-commission-{round_no}")
        _erase()
    assert seeded.commissions.count_documents({}) == 1
    assert seeded.users.find_one({"_id": INVITER})["points"] == 50  # one new-user reward


def test_an_erased_account_still_counts_on_its_device(seeded):
    """One device earns one new-user reward a day: erasing the account that earned it does
    not free the device for another account."""
    call("user_login", {}, INVITER)
    code = call("share_create", {}, INVITER)["data"]["share_code"]
    visit = {"share_code": code, "device_id": "dev-install-shared"}
    call("user_login", {}, CHEAT)
    assert call("share_reward", visit, CHEAT)["data"]["points_awarded"] == 50
    _erase()
    call("user_login", {}, "o-cheat-2")
    assert call("share_reward", visit, "o-cheat-2")["data"]["points_awarded"] == 0
    assert seeded.users.find_one({"_id": INVITER})["points"] == 50


def test_a_purchase_limit_outlives_the_buyers_erasure(seeded):
    seeded.skus.update_one({"_id": "p-eggs-1"}, {"$set": {"limit_per_buyer": 1}})
    call("user_login", {}, CHEAT)
    seeded.users.update_one(
        {"_id": CHEAT}, {"$set": {"first_seen_at": utcnow() - timedelta(days=2)}}
    )
    _picked_up("erase-cap-0")
    _erase()
    call("user_login", {}, CHEAT)
    travel(timedelta(days=2))  # past the flash-sale cool-down for new accounts
    try:
        again = call("order_place", {**PICKUP, "idempotency_key": "erase-cap-1"}, CHEAT)
    finally:
        travel(timedelta(0))
    assert again["code"] == "CONFLICT" and again["details"]["sku_id"] == "p-eggs-1", again


def test_the_refund_abuse_count_outlives_the_buyers_erasure(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_RISK_LIMITS", json.dumps({"refunds_per_30_days": 1}))
    from retail.common.settings import reset_settings
    from retail.risk.limits import forget_risk_limits

    reset_settings()
    forget_risk_limits()
    first = paid_order("erase-refund-0", CHEAT)
    asked = call("refund_request", {"order_id": first["order_id"], "reason": "不要了"}, CHEAT)
    assert asked["data"]["status"] == "REFUNDING"
    finish_refund(seeded, first["order_id"], "SUCCESS")
    _erase()
    second = paid_order("erase-refund-1", CHEAT)
    held = call("refund_request", {"order_id": second["order_id"], "reason": "不要了"}, CHEAT)
    assert held["data"]["status"] == "PAID"  # waits for an operator, as before the erasure
    assert seeded.risk_events.find_one({"kind": "refund_abuse"})["order_id"] == second["order_id"]


def test_erasure_waits_for_an_order_that_still_needs_the_buyer(seeded):
    order = paid_order("erase-live-0", CHEAT)
    before = business_state(seeded)
    refused = call("user_delete", {"confirm": True}, CHEAT)
    assert refused["code"] == "CONFLICT" and refused["details"]["reason"] == "ORDERS_OPEN"
    assert refused["details"]["order_ids"] == [order["order_id"]]
    assert business_state(seeded) == before
    assert call("order_get", {"order_id": order["order_id"]}, CHEAT)["code"] == "OK"
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF30000001"}
    shipped = as_operator("order_ship", ship)["data"]
    assert shipped["address"]["userName"] == sample("order_place")["address"]["userName"]
    assert call("user_delete", {"confirm": True}, CHEAT)["code"] == "CONFLICT"  # not received
    assert call("order_confirm", {"order_id": order["order_id"]}, CHEAT)["code"] == "OK"
    # A completed order with a refund under review keeps it waiting too ...
    call("refund_request", {"order_id": order["order_id"], "reason": "坏了"}, CHEAT)
    waiting = call("user_delete", {"confirm": True}, CHEAT)
    assert waiting["code"] == "CONFLICT" and waiting["details"]["order_ids"] == [order["order_id"]]
    # ... until it is decided; then nothing is open and erasure goes ahead.
    as_operator("refund_review", {"order_id": order["order_id"], "approve": False, "note": "完好"})
    assert _erase()["orders_kept_anonymised"] == 1


def test_an_order_placed_while_the_account_is_erased_never_outlives_it_open(seeded, monkeypatch):
    """An order_place between erasure's look for open orders and its anonymising: the order
    fails itself (it reads the account's mark after writing), so no paid order is left
    without its buyer."""
    from retail.privacy import rights

    look = rights.orders_in_progress
    raced = []

    def an_order_arrives_after_the_look(db, openid):
        found = look(db, openid)
        if raced:  # once: the erasure's own second look is the timer's
            return found
        raced.append(
            call(
                "order_place",
                {**sample("order_place"), "idempotency_key": "erase-race-0001"},
                openid,
            )
        )
        return found

    call("user_login", {}, CHEAT)
    monkeypatch.setattr(rights, "orders_in_progress", an_order_arrives_after_the_look)
    assert _erase()["erased"] is True
    assert raced[0]["code"] == "CONFLICT" and raced[0]["details"]["reason"] == "ACCOUNT_CLOSING"
    assert seeded.orders.count_documents({"status": {"$nin": ["FAILED"]}}) == 0
    failed = seeded.orders.find_one({"_id": raced[0]["details"]["order_id"]})
    assert failed["address"] is None and failed["openid"] != CHEAT  # it forgot the person


def test_erasure_leaves_no_id_or_field_that_names_the_openid(seeded):
    """Coupons, risk events, commissions, ledger keys, purchase caps and groups: after erasure
    the openid appears nowhere in the store, in ids, field names or values."""
    call("user_login", {}, INVITER)
    code = call("share_create", {}, INVITER)["data"]["share_code"]
    call("user_login", {}, CHEAT)
    call("share_reward", {"share_code": code}, CHEAT)
    call("coupon_claim", {"template_id": "c-new-user"}, CHEAT)
    seeded.skus.update_one({"_id": "p-mango-1"}, {"$set": {"limit_per_buyer": 5}})
    seeded.users.update_one(
        {"_id": CHEAT}, {"$set": {"first_seen_at": utcnow() - timedelta(days=2)}}
    )
    coupon = seeded.coupons.find_one({"openid": CHEAT})["_id"]
    order = completed_order("erase-ids-0", CHEAT, coupon_id=coupon)
    deal = seeded.group_deals.find_one({})
    group = call(
        "order_place",
        {
            **PICKUP,
            "items": [{"sku_id": deal["sku_id"], "qty": 1}],
            "idempotency_key": "erase-ids-group",
            "group": {"deal_id": deal["_id"]},
            "delivery": "express",
            "address": sample("order_place")["address"],
            "store_id": None,
        },
        CHEAT,
    )
    call("order_cancel", {"order_id": group["data"]["order_id"]}, CHEAT)
    blocked = {"kind": "openid", "value": CHEAT, "reason": "刷单"}
    as_operator("blacklist_update", blocked)
    call("order_place", {**sample("order_place"), "idempotency_key": "erase-ids-1"}, CHEAT)
    assert seeded.risk_events.count_documents({}) >= 1
    assert seeded.commissions.count_documents({}) == 1 and order
    assert as_operator("blacklist_update", {**blocked, "listed": False})["code"] == "OK"
    # The inviter erases too: nothing of either is left under their openids.
    share_reward_device = {"share_code": code, "device_id": "dev-install-erase"}
    call("user_login", {}, "o-late-friend")
    call("share_reward", share_reward_device, "o-late-friend")
    _erase()
    _erase(INVITER)
    everything = json.dumps(
        {c: list(seeded[c].find({})) for c in shop_collections(seeded)},
        ensure_ascii=False,
        default=str,
    )
    assert CHEAT not in everything, _where(seeded, CHEAT)
    assert INVITER not in everything, _where(seeded, INVITER)


def _where(db, needle):
    found = []
    for c in shop_collections(db):
        for doc in db[c].find({}):
            text = json.dumps(doc, ensure_ascii=False, default=str)
            if needle in text:
                found.append((c, text[:300]))
    return found


def test_a_withdrawal_racing_an_order_leaves_no_address_stored(seeded, monkeypatch):
    """consent_withdraw lands after order_place checked the consent, before it wrote: the
    order reads the consent again after writing, fails, and forgets the address."""
    from retail.orders import place

    check = place.require_consent

    def withdrawn_meanwhile(db, openid, purpose, *, shared=False):
        check(db, openid, purpose, shared=shared)
        assert call("consent_withdraw", {}, openid)["data"]["collecting"] is False

    call("user_login", {}, CHEAT)
    monkeypatch.setattr(place, "require_consent", withdrawn_meanwhile)
    raced = call(
        "order_place", {**sample("order_place"), "idempotency_key": "consent-race-1"}, CHEAT
    )
    assert raced["code"] == "FORBIDDEN" and raced["details"]["reason"] == "CONSENT_WITHDRAWN"
    assert seeded.orders.find_one({"_id": raced["details"]["order_id"]})["address"] is None


def test_a_refund_asked_while_the_account_is_erased_is_kept_until_it_is_decided(
    seeded, monkeypatch
):
    from retail.privacy import rights

    order = completed_order("erase-refund-race", CHEAT)
    look = rights.orders_in_progress
    asked = []

    def a_refund_arrives_after_the_look(db, openid):
        found = look(db, openid)
        if not asked:
            refund = {"order_id": order["order_id"], "reason": "坏了"}
            asked.append(call("refund_request", refund, openid))
        return found

    monkeypatch.setattr(rights, "orders_in_progress", a_refund_arrives_after_the_look)
    assert call("user_delete", {"confirm": True}, CHEAT)["data"]["erased"] is True
    monkeypatch.setattr(rights, "orders_in_progress", look)
    kept = seeded.orders.find_one({"_id": order["order_id"]})
    assert kept["refund_request"]["status"] == "REQUESTED"  # not wiped by the erasure
    assert finish_erasures()["erasures_finished"] == 0  # it waits for the decision
    decision = {"order_id": order["order_id"], "approve": False, "note": "完好"}
    assert as_operator("refund_review", decision)["code"] == "OK"
    assert finish_erasures()["erasures_finished"] == 1
    assert seeded.orders.find_one({"_id": order["order_id"]})["openid"].startswith("erased-")


def test_an_erasure_that_died_after_marking_is_finished_by_the_timer(seeded, monkeypatch):
    from retail.privacy import rights

    call("user_login", {}, CHEAT)
    call("coupon_claim", {"template_id": "c-new-user"}, CHEAT)

    def dies(*_args):
        raise OSError("the instance died")

    monkeypatch.setattr(rights, "refunds_asked_since", dies)
    assert call("user_delete", {"confirm": True}, CHEAT)["code"] == "INTERNAL"
    monkeypatch.undo()
    placed = call("order_place", {**sample("order_place"), "idempotency_key": "after-death"}, CHEAT)
    assert placed["details"]["reason"] == "ACCOUNT_CLOSING"  # the mark holds
    assert finish_erasures()["erasures_finished"] == 1
    assert seeded.coupons.count_documents({"openid": CHEAT}) == 0
    assert seeded.users.find_one({"_id": CHEAT}) is None
