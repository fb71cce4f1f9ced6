"""Rate limits: a caller hammering one function is throttled; other callers are served."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from retail.common.clock import utcnow
from retail.common.ratelimit import forget_limits
from retail.common.settings import reset_settings

from .harness import cloudbase_context, handler

pytestmark = pytest.mark.usefixtures("a_fresh_minute")


def _call(name, data, openid, ip="10.0.0.1"):
    context = {**cloudbase_context(openid, WX_CLIENTIP=ip), "function_name": name}
    return handler(name)(data, context)


def test_hammering_coupon_claim_is_throttled_while_others_are_served(seeded):
    codes = [
        _call("coupon_claim", {"template_id": "c-fruit-10"}, "o-hammer")["code"] for _ in range(35)
    ]
    assert codes[:2] == ["OK", "OK"] and set(codes[2:30]) == {"CONFLICT"}  # limit 2 per user
    limited = _call("coupon_claim", {"template_id": "c-fruit-10"}, "o-hammer")
    assert (
        codes[30:] == ["RATE_LIMITED"] * 5 and 0 < limited["details"]["retry_after_seconds"] <= 60
    )
    assert _call("coupon_claim", {"template_id": "c-fruit-10"}, "o-polite")["code"] == "OK"


def test_one_address_gets_five_times_a_callers_budget(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_RATE_LIMITS", json.dumps({"default": 2}))
    reset_settings()
    forget_limits()
    answers = [
        _call("catalog_browse", {}, f"o-shared-{n}", ip="10.9.9.9")["code"] for n in range(11)
    ]
    assert answers.count("OK") == 10 and answers[-1] == "RATE_LIMITED"
    assert _call("catalog_browse", {}, "o-elsewhere", ip="10.1.1.1")["code"] == "OK"


def test_bad_limits_configuration_is_named(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_RATE_LIMITS", "[1, 2]")
    reset_settings()
    forget_limits()
    answer = _call("catalog_browse", {}, "o-x")
    assert answer["code"] == "INTERNAL"


def test_closed_windows_expire_by_their_ttl_index(seeded):
    _call("catalog_browse", {}, "o-x")
    _call("catalog_browse", {}, "o-y")
    closed = seeded.rate_windows.find_one({"_id": {"$regex": ":o-x:"}})["_id"]
    seeded.rate_windows.update_one(
        {"_id": closed}, {"$set": {"expires_at": utcnow() - timedelta(minutes=5)}}
    )
    assert seeded.expire_now() == 1  # the TTL monitor's pass (MongoDB's own, once a minute)
    assert seeded.rate_windows.find_one({"_id": closed}) is None
    assert seeded.rate_windows.count_documents({}) >= 1  # the windows still open stay


def test_a_sign_in_attempt_past_the_allowance_is_refused_when_its_lock_lost_the_race(
    seeded, monkeypatch
):
    """Attempts six and seven at once: seven's count makes six's conditional lock miss, and
    six re-reads before seven's lock is written. Six is over the allowance all the same: it is
    refused, never checked as a sixth password (tests/concurrency/test_sign_in_races.py saw
    six checks in a burst of forty)."""
    from retail.common.errors import RateLimited
    from retail.operators import throttle

    now = utcnow()
    seeded.sign_in_attempts.insert_one(
        {"_id": "admin1|10.0.0.9", "tries": throttle.FAILURES_PER_ADDRESS}
    )
    monkeypatch.setattr(throttle, "_lock", lambda *args: None)  # a later attempt's lock wins
    with pytest.raises(RateLimited) as refused:
        throttle.take_attempt(seeded, "admin1", "10.0.0.9", [], now)
    assert refused.value.details["retry_after_seconds"] == 60  # the first lockout's minute
    seeded.sign_in_attempts.update_one({"_id": "admin1|10.0.0.9"}, {"$set": {"lockouts": 2}})
    with pytest.raises(RateLimited) as refused:
        throttle.take_attempt(seeded, "admin1", "10.0.0.9", [], now)
    assert refused.value.details["retry_after_seconds"] == 240  # as long as the lock it lost to


def test_a_call_refused_by_its_callers_budget_spends_nothing_of_its_addresss(seeded, monkeypatch):
    """The budgets are charged in order and the first spent one stops the batch: a caller
    over its limit cannot use up the budget of everyone behind its address (a shop's Wi-Fi)."""
    monkeypatch.setenv("RETAIL_RATE_LIMITS", json.dumps({"default": 2}))
    reset_settings()
    forget_limits()
    codes = [_call("catalog_browse", {}, "o-greedy", ip="10.7.7.7")["code"] for _ in range(6)]
    assert codes == ["OK", "OK"] + ["RATE_LIMITED"] * 4
    ip_window = seeded.rate_windows.find_one({"_id": {"$regex": "^catalog_browse:ip:10.7.7.7:"}})
    assert ip_window["calls"] == 2  # only the calls the caller's budget let through
    others = [_call("catalog_browse", {}, f"o-next-{n}", ip="10.7.7.7")["code"] for n in range(8)]
    assert others == ["OK"] * 8 and _call("catalog_browse", {}, "o-last", ip="10.7.7.7")[
        "code"
    ] == ("RATE_LIMITED")


def test_two_first_calls_of_a_window_racing_to_create_it_are_both_counted(seeded, monkeypatch):
    """On MongoDB two first calls may both find no window and both insert it; the loser's
    duplicate key is not a spent budget: it is counted on the winner's window, and the
    budgets after it in the batch are charged too (one extra trip, only in that race)."""
    from pymongo.errors import BulkWriteError

    from retail.common.ratelimit import check_rate

    windows = seeded.rate_windows
    real = type(windows).bulk_write
    raced = []

    def racing(self, requests, ordered=True):
        if not raced:  # the racing first call made the caller's window just before this one
            raced.append(requests[0]._filter["_id"])
            self.insert_one({"_id": raced[0], "calls": 1, "expires_at": utcnow()})
            raise BulkWriteError(
                {"writeErrors": [{"index": 0, "code": 11000, "errmsg": "E11000"}], "nUpserted": 0}
            )
        return real(self, requests, ordered)

    monkeypatch.setattr(type(windows), "bulk_write", racing)
    check_rate(seeded, "catalog_browse", "o-racer", "10.8.8.8", utcnow())
    assert windows.find_one({"_id": raced[0]})["calls"] == 2
    ip = windows.find_one({"_id": {"$regex": "^catalog_browse:ip:10.8.8.8:"}})
    assert ip["calls"] == 1
