"""Risk limits under real concurrency: several client processes through a 4-worker gateway.

A purchase limit of 2 holds against one buyer's ten simultaneous orders, and however ten
accounts' orders to one address interleave, no more than three go through unheld."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest

from retail.common.clock import utcnow
from retail.inventory import audit_stock
from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from ..functions.harness import sample
from .buyers import answer

SKU = "p-walnut-1"


@pytest.fixture
def shop(tmp_path, gateway_store):
    gateway = start_gateway(tmp_path, "dev", workers=4, db_uri=gateway_store)
    connect(gateway.db_uri).skus.update_one({"_id": SKU}, {"$set": {"limit_per_buyer": 2}})
    yield gateway
    stop_gateway(gateway)


def _order(url, openid, key, sku):
    answer(url, "/fn/consent_accept", {"version": "2026-01", "share_contact": True}, openid)
    data = {**sample("order_place"), "idempotency_key": key, "items": [{"sku_id": sku, "qty": 1}]}
    placed = answer(url, "/fn/order_place", data, openid)
    return placed["code"], (placed.get("data") or {}).get("order_id")


def test_ten_simultaneous_orders_by_one_buyer_take_the_limit_of_two(shop):
    answer(shop.url, "/fn/user_login", {}, "o-flash")
    connect(shop.db_uri).users.update_one(  # an account older than the flash-sale cool-down
        {"_id": "o-flash"}, {"$set": {"first_seen_at": utcnow() - timedelta(days=1)}}
    )
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        results = pool.starmap(
            _order, [(shop.url, "o-flash", f"limit-race-{i:03d}", SKU) for i in range(10)]
        )
    codes = [code for code, _ in results]
    assert codes.count("OK") == 2 and codes.count("CONFLICT") == 8
    db = connect(shop.db_uri)
    cap = db.purchase_caps.find_one({"_id": {"$regex": f"^{SKU}:buyer:"}})  # the one buyer
    assert cap["units"] == 2 and len(cap["orders"]) == 2
    assert db.stock.find_one({"_id": f"{SKU}@central"})["reserved"] == 2
    assert audit_stock(db) == []


def test_no_more_than_three_accounts_per_address_go_through_unheld(shop):
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        results = pool.starmap(
            _order,
            [(shop.url, f"o-ring-{i}", f"ring-race-{i:03d}", "p-eggs-1") for i in range(10)],
        )
    assert [code for code, _ in results] == ["OK"] * 10
    db = connect(shop.db_uri)
    unheld = db.orders.count_documents({"risk_hold": None})
    assert 1 <= unheld <= 3
    held = db.risk_events.count_documents({"kind": "shared_address_phone", "action": "hold"})
    assert held == 10 - unheld
