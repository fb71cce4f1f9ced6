"""Coupon quota, per-user limit and single use under real concurrent processes."""

from __future__ import annotations

import multiprocessing

import pytest

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from ..functions.harness import sample
from .buyers import answer


@pytest.fixture
def shop(tmp_path, gateway_store):
    gateway = start_gateway(tmp_path, "dev", workers=4, db_uri=gateway_store)
    yield gateway
    stop_gateway(gateway)


def _claim(url, openid, template):
    return answer(url, "/fn/coupon_claim", {"template_id": template}, openid)["code"]


def _order(url, key, coupon_id):
    data = {**sample("order_place"), "idempotency_key": key, "coupon_id": coupon_id}
    return answer(url, "/fn/order_place", data, "o-one")


def test_40_users_claim_a_quota_of_7(shop):
    connect(shop.db_uri).coupon_templates.update_one(
        {"_id": "c-fruit-10"}, {"$set": {"total_quota": 7}}
    )
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        codes = pool.starmap(
            _claim, [(shop.url, f"o-claimer-{i}", "c-fruit-10") for i in range(40)]
        )
    assert codes.count("OK") == 7 and codes.count("CONFLICT") == 33
    db = connect(shop.db_uri)
    assert db.coupons.count_documents({"template_id": "c-fruit-10"}) == 7
    assert db.coupon_templates.find_one({"_id": "c-fruit-10"})["claimed"] == 7


def test_one_user_with_limit_1_claiming_20_times_at_once_gets_1(shop):
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        codes = pool.starmap(_claim, [(shop.url, "o-greedy", "c-new-user")] * 20)
    assert codes.count("OK") == 1
    db = connect(shop.db_uri)
    assert db.coupons.count_documents({"openid": "o-greedy"}) == 1
    assert db.coupon_templates.find_one({"_id": "c-new-user"})["claimed"] == 1


def test_one_coupon_on_5_concurrent_orders_is_used_once_and_returns_on_cancel(shop):
    answer(shop.url, "/fn/consent_accept", {"version": "2026-01", "share_contact": True}, "o-one")
    coupon = answer(shop.url, "/fn/coupon_claim", {"template_id": "c-new-user"}, "o-one")["data"]
    with multiprocessing.get_context("spawn").Pool(5) as pool:
        answers = pool.starmap(
            _order, [(shop.url, f"coupon-race-{i:03d}", coupon["coupon_id"]) for i in range(5)]
        )
    placed = [a["data"] for a in answers if a["code"] == "OK"]
    assert len(placed) == 1 and placed[0]["discount"] == 500
    assert {a["code"] for a in answers if a["code"] != "OK"} <= {"CONFLICT", "NOT_FOUND"}
    db = connect(shop.db_uri)
    assert db.coupons.find_one({"_id": coupon["coupon_id"]})["order_id"] == placed[0]["order_id"]
    answer(shop.url, "/fn/order_cancel", {"order_id": placed[0]["order_id"]}, "o-one")
    assert db.coupons.find_one({"_id": coupon["coupon_id"]})["status"] == "AVAILABLE"
