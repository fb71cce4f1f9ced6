"""coupon_lapsed: one win-back coupon per lapsed user per window, messages only where granted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retail.common.clock import utcnow
from retail.common.settings import reset_settings

from .harness import call, handler, sample


@pytest.fixture
def users(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_WINBACK_MESSAGE_TEMPLATE", "winback-tmpl-1")
    reset_settings()
    now = utcnow()
    seeded.users.insert_many(
        [
            {
                "_id": f"o-lapsed-{i}",
                "first_seen_at": now,
                "last_seen_at": now,
                "points": 0,
                "level": 1,
                "last_paid_at": now - timedelta(days=40),
            }
            for i in range(5)
        ]
        + [
            {
                "_id": "o-refused-1",
                "first_seen_at": now,
                "last_seen_at": now,
                "last_paid_at": now - timedelta(days=90),
            },
            {
                "_id": "o-recent",
                "first_seen_at": now,
                "last_seen_at": now,
                "last_paid_at": now - timedelta(days=3),
            },
            {"_id": "o-never-paid", "first_seen_at": now, "last_seen_at": now},
        ]
    )
    for openid in ("o-lapsed-0", "o-refused-1"):
        call("subscribe_accept", {"accepted": ["winback-tmpl-1"]}, openid=openid)
    return seeded


def run_timer():
    answer = handler("coupon_lapsed")(sample("coupon_lapsed"), {"time_limit_in_ms": 60_000})
    assert answer["code"] == "OK", answer
    return answer["data"]


def test_lapsed_users_get_one_coupon_per_window_and_granted_ones_a_message(users):
    first = run_timer()
    assert (first["scanned"], first["granted"], first["messaged"]) == (6, 6, 1)
    coupons = list(users.coupons.find({"template_id": "c-winback"}))
    assert sorted(c["openid"] for c in coupons) == sorted(
        [f"o-lapsed-{i}" for i in range(5)] + ["o-refused-1"]
    )
    assert all(":w" in c["_id"] for c in coupons)
    assert users.subscriptions.find_one({"_id": "o-lapsed-0:winback-tmpl-1"})["grants"] == 0
    assert users.subscriptions.find_one({"_id": "o-refused-1:winback-tmpl-1"})["grants"] == 0
    second = run_timer()
    assert (second["scanned"], second["granted"]) == (0, 0)
    assert users.coupons.count_documents({"template_id": "c-winback"}) == 6


def test_a_rerun_after_a_crash_grants_nothing_twice(users):
    run_timer()
    users.users.update_many({}, {"$unset": {"winback_window": ""}})  # as if the marks were lost
    users.job_cursors.delete_one({"_id": "coupon_lapsed"})  # and where the run had got to
    again = run_timer()
    assert again["granted"] == 6  # the same coupons, found by their window ids
    assert users.coupons.count_documents({"template_id": "c-winback"}) == 6
    assert users.coupon_templates.find_one({"_id": "c-winback"})["claimed"] == 6


def test_the_campaign_quota_is_never_exceeded(users):
    users.coupon_templates.update_one({"_id": "c-winback"}, {"$set": {"total_quota": 2}})
    summary = run_timer()
    assert summary["granted"] == 2 and summary["skipped"] == 4
    assert users.coupons.count_documents({"template_id": "c-winback"}) == 2


def test_subscribe_accept_bounds(users):
    assert (
        call("subscribe_accept", {"accepted": ["a", "b", "c", "d"]})["code"] == "INVALID_ARGUMENT"
    )
    assert call("subscribe_accept", {"accepted": ["bad id!"]})["code"] == "INVALID_ARGUMENT"


def test_the_campaign_can_target_rfm_segments(users, monkeypatch):
    now = utcnow()
    for openid, days in (("o-lapsed-0", 90), ("o-lapsed-1", 100), ("o-lapsed-2", 40)):
        paid = now - timedelta(days=days)
        line = {"product_id": "p-mango", "merchant_id": "m-huaxia", "amount": 3000, "qty": 1}
        users.orders.insert_one(
            {
                "_id": f"O-{openid}",
                "openid": openid,
                "idempotency_key": f"rfm-{openid}",
                "status": "COMPLETED",
                "lines": [line],
                "total": 3000,
                "paid_amount": 3000,
                "created_at": paid,
                "paid_at": paid,
            }
        )
    assert handler("analytics_rollup")(sample("timer_trigger"), {})["code"] == "OK"
    segments = {
        u["_id"]: u.get("segment") for u in users.users.find({"segment": {"$exists": True}})
    }
    assert segments == {"o-lapsed-0": "sleeping", "o-lapsed-1": "sleeping", "o-lapsed-2": "regular"}
    monkeypatch.setenv("RETAIL_WINBACK_SEGMENTS", "sleeping,at_risk")
    reset_settings()
    assert run_timer()["granted"] == 2
    granted = {c["openid"] for c in users.coupons.find({"template_id": "c-winback"})}
    assert granted == {"o-lapsed-0", "o-lapsed-1"}
