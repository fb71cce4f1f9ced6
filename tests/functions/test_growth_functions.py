"""Shares, referral binding and rewards, the commission ledger, and points on orders."""

from __future__ import annotations

import json
from datetime import timedelta

from retail.common.clock import utcnow
from retail.common.pseudonyms import pseudonym
from retail.orders import mark_paid

from .harness import call, handler, sample


def login(openid):
    assert call("user_login", {}, openid=openid)["code"] == "OK"


def share(inviter, product_id="p-mango"):
    return call("share_create", {"product_id": product_id}, openid=inviter)["data"]


def admin(name, data):
    context = {"RETAIL_DEV_OPERATOR": "op:admin", "environment": json.dumps({})}
    return handler(name)(data, context)


def test_share_codes_are_stable_and_fit_a_wxacode_scene(seeded):
    login("o-alice")
    first, again = share("o-alice"), share("o-alice")
    assert first == again and len(first["scene"]) <= 32
    assert first["path"] == f"pages/product/detail?id=p-mango&share={first['share_code']}"
    assert share("o-alice", None)["share_code"] != first["share_code"]


def test_new_user_binds_to_the_first_inviter_and_earns_them_points(seeded):
    login("o-alice")
    login("o-bob")
    login("o-carol")
    reward = call("share_reward", {"share_code": share("o-alice")["share_code"]}, openid="o-bob")
    assert reward["data"] == {"inviter": pseudonym("o-alice"), "bound": True, "points_awarded": 50}
    second = call("share_reward", {"share_code": share("o-carol")["share_code"]}, openid="o-bob")
    assert second["data"]["bound"] is False and second["data"]["inviter"] == pseudonym("o-alice")
    assert seeded.users.find_one({"_id": "o-alice"})["points"] == 50
    assert seeded.points_ledger.count_documents({"openid": "o-alice"}) == 1


def test_self_referral_and_cycles_are_refused(seeded):
    for who in ("o-alice", "o-bob"):
        login(who)
    assert (
        call("share_reward", {"share_code": share("o-alice")["share_code"]}, openid="o-alice")[
            "code"
        ]
        == "CONFLICT"
    )
    call("share_reward", {"share_code": share("o-alice")["share_code"]}, openid="o-bob")
    cycle = call("share_reward", {"share_code": share("o-bob")["share_code"]}, openid="o-alice")
    assert cycle["code"] == "CONFLICT" and "cycle" in cycle["message"]


def test_daily_invite_cap(seeded, monkeypatch):
    from retail.common.settings import reset_settings

    monkeypatch.setenv("RETAIL_INVITE_DAILY_CAP", "2")
    reset_settings()
    login("o-alice")
    code = share("o-alice")["share_code"]
    awarded = []
    for n in range(4):
        login(f"o-new-{n}")
        awarded.append(
            call("share_reward", {"share_code": code}, openid=f"o-new-{n}")["data"][
                "points_awarded"
            ]
        )
    assert awarded == [50, 50, 0, 0]


def test_old_users_bring_no_invite_points(seeded):
    login("o-alice")
    login("o-old")
    seeded.users.update_one(
        {"_id": "o-old"}, {"$set": {"first_seen_at": utcnow() - timedelta(days=30)}}
    )
    reward = call("share_reward", {"share_code": share("o-alice")["share_code"]}, openid="o-old")
    assert reward["data"]["bound"] is True and reward["data"]["points_awarded"] == 0


def _invited_first_order(db, key="growth-key-0001"):
    login("o-alice")
    login("o-test-user")
    call("share_reward", {"share_code": share("o-alice")["share_code"]})
    order = call("order_place", {**sample("order_place"), "idempotency_key": key})["data"]
    mark_paid(db, order["order_id"], f"TX-{key}", order["total"])
    return order


def test_first_paid_order_earns_a_pending_commission_released_on_completion(seeded):
    order = _invited_first_order(seeded)
    entry = seeded.commissions.find_one({})
    assert entry["status"] == "PENDING" and entry["amount"] == order["total"] * 500 // 10_000
    second = call("order_place", {**sample("order_place"), "idempotency_key": "growth-key-0002"})
    mark_paid(seeded, second["data"]["order_id"], "TX-2", second["data"]["total"])
    assert seeded.commissions.count_documents({}) == 1  # only the first order
    admin(
        "order_ship", {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF0000001"}
    )
    call("order_confirm", {"order_id": order["order_id"]})
    assert seeded.commissions.find_one({})["status"] == "AVAILABLE"
    buyer = seeded.users.find_one({"_id": "o-test-user"})
    assert buyer["points"] == order["total"] // 100 and buyer["last_paid_at"]
    page = admin("commission_list", {})["data"]
    assert page["totals"]["AVAILABLE"] == entry["amount"]
    assert call("commission_list", {})["code"] == "UNAUTHENTICATED"


def test_refunded_first_order_reverses_the_commission(seeded):
    order = _invited_first_order(seeded)
    refund = call("refund_request", {"order_id": order["order_id"], "reason": "不要了"})
    assert refund["data"]["status"] == "REFUNDING"
    assert seeded.commissions.find_one({})["status"] == "REVERSED"


def test_points_earned_on_completion_are_taken_back_on_refund(seeded):
    login("o-test-user")
    order = call("order_place", {**sample("order_place"), "idempotency_key": "points-key-01"})[
        "data"
    ]
    mark_paid(seeded, order["order_id"], "TX-p", order["total"])
    admin(
        "order_ship", {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF0000002"}
    )
    call("order_confirm", {"order_id": order["order_id"]})
    earned = order["total"] // 100
    assert seeded.users.find_one({"_id": "o-test-user"})["points"] == earned
    call("refund_request", {"order_id": order["order_id"], "reason": "坏了"})
    admin("refund_review", {"order_id": order["order_id"], "approve": True})
    assert seeded.users.find_one({"_id": "o-test-user"})["points"] == 0
    assert seeded.points_ledger.count_documents({"openid": "o-test-user"}) == 2


def test_points_pay_part_of_an_order_and_come_back_when_it_is_cancelled(seeded):
    login("o-test-user")
    seeded.users.update_one({"_id": "o-test-user"}, {"$set": {"points": 5000}})
    too_many = call("order_preview", {**sample("order_preview"), "points": 5001})
    assert too_many["code"] == "INVALID_ARGUMENT"
    over_cap = call("order_preview", {**sample("order_preview"), "points": 5000})
    assert over_cap["code"] == "INVALID_ARGUMENT" and over_cap["details"]["cap"] == 8770 // 2
    seeded.users.update_one({"_id": "o-test-user"}, {"$set": {"points": 3000}})
    order = call(
        "order_place", {**sample("order_place"), "idempotency_key": "points-pay-01", "points": 1000}
    )["data"]
    assert order["points_used"] == 1000 and order["total"] == 2 * 2990 + 1990 + 800 - 1000
    assert seeded.users.find_one({"_id": "o-test-user"})["points"] == 2000
    call("order_cancel", {"order_id": order["order_id"]})
    assert seeded.users.find_one({"_id": "o-test-user"})["points"] == 3000
    call("order_cancel", {"order_id": order["order_id"]})
    assert seeded.users.find_one({"_id": "o-test-user"})["points"] == 3000


def test_member_levels_and_paid_membership_bring_free_shipping_and_a_discount(seeded):
    login("o-test-user")
    base = call("order_preview", sample("order_preview"))["data"]
    assert base["freight"] == 800 and base["member_discount"] == 0
    seeded.users.update_one({"_id": "o-test-user"}, {"$set": {"level": 3}})
    level3 = call("order_preview", sample("order_preview"))["data"]
    assert level3["freight"] == 0 and level3["member_discount"] == 0
    seeded.users.update_one(
        {"_id": "o-test-user"},
        {"$set": {"level": 1, "membership_expires_at": utcnow() + timedelta(days=3)}},
    )
    member = call("order_preview", sample("order_preview"))["data"]
    assert member["freight"] == 0 and member["member_discount"] == base["goods_amount"] * 5 // 100
    assert member["total"] == base["goods_amount"] - member["member_discount"]


def test_buying_a_membership_through_an_order_extends_it_once(seeded):
    login("o-test-user")
    data = {
        "items": [{"sku_id": "p-vip-month-1", "qty": 2}],
        "delivery": "virtual",
        "idempotency_key": "vip-key-0001",
    }
    order = call("order_place", data)["data"]
    assert order["freight"] == 0 and order["total"] == 3000
    mark_paid(seeded, order["order_id"], "TX-vip", order["total"])
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "COMPLETED"
    expires = seeded.users.find_one({"_id": "o-test-user"})["membership_expires_at"]
    assert timedelta(days=59) < expires - utcnow() <= timedelta(days=60)
    assert seeded.membership_ledger.count_documents({}) == 1
    member = call("order_preview", sample("order_preview"))["data"]
    assert member["freight"] == 0 and member["member_discount"] > 0
    mixed = call(
        "order_place",
        {
            **data,
            "idempotency_key": "vip-key-0002",
            "items": [{"sku_id": "p-vip-month-1", "qty": 1}, {"sku_id": "p-eggs-1", "qty": 1}],
        },
    )
    assert mixed["code"] == "INVALID_ARGUMENT"
