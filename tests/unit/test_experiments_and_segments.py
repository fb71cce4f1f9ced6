"""Bucketing, arms, flags, the two-proportion test and RFM segments: pure rules."""

from __future__ import annotations

import math

from retail.analytics.customers import frequency_score, recency_score, segment_of
from retail.experiments import arm_for, bucket, flag_on
from retail.experiments.results import two_proportions

EXPERIMENT = {
    "_id": "share-copy",
    "salt": "2026-11",
    "arms": [{"name": "control", "weight": 1}, {"name": "discount", "weight": 3}],
}
USERS = [f"o-user-{n}" for n in range(10_000)]


def test_the_same_openid_always_lands_in_the_same_arm():
    first = [arm_for(EXPERIMENT, u)["name"] for u in USERS[:500]]
    assert [arm_for(EXPERIMENT, u)["name"] for u in USERS[:500]] == first
    resalted = {**EXPERIMENT, "salt": "2026-12"}
    assert [arm_for(resalted, u)["name"] for u in USERS[:500]] != first


def test_arms_split_as_weighted_within_statistical_tolerance():
    treated = sum(arm_for(EXPERIMENT, u)["name"] == "discount" for u in USERS)
    sigma = math.sqrt(len(USERS) * 0.75 * 0.25)  # binomial, p = 3/4
    assert abs(treated - 7_500) < 4 * sigma
    buckets = [bucket("s", u) for u in USERS]
    assert min(buckets) >= 0 and max(buckets) < 10_000


def test_flags_roll_out_by_percentage_and_allow_list():
    flag = {"_id": "recommend-for-you", "enabled": True, "rollout_percent": 20, "allow": ["o-vip"]}
    on = sum(flag_on(flag, u) for u in USERS)
    assert abs(on - 2_000) < 4 * math.sqrt(len(USERS) * 0.2 * 0.8)
    assert flag_on({**flag, "rollout_percent": 0}, "o-vip") is True
    assert not any(flag_on({**flag, "enabled": False}, u) for u in [*USERS[:100], "o-vip"])
    assert flag_on({**flag, "rollout_percent": 100}, None) is True


def test_two_proportion_test_matches_the_textbook_values():
    lift, z, p_value, half = two_proportions(200, 1000, 250, 1000)
    assert math.isclose(lift, 0.05)
    assert math.isclose(z, 2.6774, abs_tol=1e-3)
    assert math.isclose(p_value, 0.00742, abs_tol=1e-4)
    assert math.isclose(half, 1.959964 * math.sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000))


def test_rfm_segments():
    assert (recency_score(0), recency_score(45), recency_score(400)) == (5, 3, 1)
    assert (frequency_score(1), frequency_score(5), frequency_score(12)) == (1, 4, 5)
    assert segment_of(5, 5, 5, 12) == "high_value"
    assert segment_of(5, 1, 2, 1) == "new"
    assert segment_of(2, 4, 3, 6) == "at_risk"
    assert segment_of(1, 1, 1, 1) == "sleeping"
    assert segment_of(3, 4, 2, 6) == "loyal"
    assert segment_of(3, 2, 3, 2) == "regular"
