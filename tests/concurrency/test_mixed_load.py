"""A bounded load test: mixed shopping traffic from several client processes through a
4-worker gateway while every timer runs, then the shopping invariants.

Driven by counts, not by time: the traffic runs until it has sold the scarce SKU out, been
refused for it, paid and cancelled orders (a limit of LIMIT_SECONDS only makes a stuck run
fail loudly); loopback only. The traffic driver is bench/mixed_load.py's, so the test and the
benchmark exercise the same sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bench.mixed_load import SCARCE_SKU, run_mixed_load
from retail.catalog import total_sales
from retail.common.clock import utcnow
from retail.inventory import audit_stock
from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

SCARCE = 4
LIMIT_SECONDS = 300  # far beyond what the goal takes on a loaded machine: only a stuck run hits it


def _goal_reached(db) -> bool:
    """The traffic has done everything the invariants below are about."""
    orders = db.orders
    return bool(
        orders.find_one({"status": "FAILED", "failure.code": "OUT_OF_STOCK"}, {"_id": 1})
        and orders.find_one({"status": "CANCELLED"}, {"_id": 1})
        and orders.find_one({"status": "PAID"}, {"_id": 1})
    )


@pytest.fixture
def shop(tmp_path, gateway_store):
    gateway = start_gateway(tmp_path, "dev", workers=4, db_uri=gateway_store)
    connect(gateway.db_uri).stock.update_one(
        {"_id": f"{SCARCE_SKU}@central"}, {"$set": {"available": SCARCE, "received": SCARCE}}
    )
    yield gateway
    stop_gateway(gateway)


def test_mixed_traffic_with_timers_running_keeps_every_invariant(shop):
    db = connect(shop.db_uri)
    sales_before = {p["_id"]: p.get("sales", 0) for p in db.products.find({})}
    samples = run_mixed_load(
        shop.url,
        seconds=LIMIT_SECONDS,
        clients=3,
        threads=2,
        sessions=2_000,
        until=lambda: _goal_reached(db),
    )
    codes = {(name, code) for name, _, code, _ in samples}
    assert not [s for s in samples if s[2] not in ("OK", "OUT_OF_STOCK")], "unexpected answers"
    assert ("order_place", "OK") in codes and ("order_cancel", "OK") in codes
    assert ("order_place", "OUT_OF_STOCK") in codes  # the scarce SKU sold out
    assert ("sandbox:pay", "OK") in codes and ("timer:order_expire", "OK") in codes

    # what the traffic left: paid orders paid exactly their total, once
    paid = list(db.orders.find({"status": "PAID"}))
    assert paid and all(o["paid_amount"] == o["total"] and o["transaction_id"] for o in paid)
    units = dict.fromkeys(sales_before, 0)
    for order in paid:
        for line in order["lines"]:
            units[line["product_id"]] += line["qty"]
    total_sales(db)  # the rollup's part: the counters off the product documents, totalled
    sold = {p["_id"]: p.get("sales", 0) - sales_before[p["_id"]] for p in db.products.find({})}
    assert sold == units
    level = db.stock.find_one({"_id": f"{SCARCE_SKU}@central"})
    assert level["available"] >= 0 and level["reserved"] + level["sold"] <= SCARCE
    template = db.coupon_templates.find_one({"_id": "c-new-user"})
    assert template["claimed"] == db.coupons.count_documents({"template_id": "c-new-user"})
    assert audit_stock(db) == []

    # the abandoned orders expire once the deadline passes, and the books still balance
    db.orders.update_many(
        {"status": "PENDING_PAYMENT"}, {"$set": {"pay_deadline": utcnow() - timedelta(seconds=1)}}
    )
    shop.post("/timer/order_expire", raw=b"")
    assert db.orders.count_documents({"status": {"$in": ["PENDING_PAYMENT", "RESERVING"]}}) == 0
    assert audit_stock(db) == []
    level = db.stock.find_one({"_id": f"{SCARCE_SKU}@central"})
    assert level["reserved"] == 0 and level["available"] + level["sold"] == SCARCE
