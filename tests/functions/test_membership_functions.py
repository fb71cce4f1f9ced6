"""A paid membership (会员) bought through an order, as the buyer sees it in user_me."""

from __future__ import annotations

from datetime import datetime

from retail.orders import mark_paid

from .harness import call


def test_user_me_shows_when_the_paid_membership_ends(seeded):
    call("user_login", {}, openid="o-vip")
    assert call("user_me", {}, openid="o-vip")["data"]["membership_expires_at"] is None
    data = {
        "items": [{"sku_id": "p-vip-month-1", "qty": 1}],
        "delivery": "virtual",
        "idempotency_key": "vip-me-0001",
    }
    order = call("order_place", data, openid="o-vip")["data"]
    assert mark_paid(seeded, order["order_id"], "TX-vip-me", order["total"])
    shown = call("user_me", {}, openid="o-vip")["data"]["membership_expires_at"]
    stored = seeded.users.find_one({"_id": "o-vip"})["membership_expires_at"]
    assert datetime.fromisoformat(shown) == stored
