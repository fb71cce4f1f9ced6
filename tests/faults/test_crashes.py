"""Kill real processes half way through order work, then prove order_repair restores the books.

Each case runs the work in a child process with RETAIL_FAULT_POINT set; the child dies with
os._exit at that point (no cleanup, no exception handlers), exactly as a killed function would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from retail.common.clock import travel, utcnow
from retail.common.faults import EXIT_CODE
from retail.common.settings import reset_settings
from retail.inventory import audit_stock

from ..functions.harness import consent, handler, sample

ROOT = Path(__file__).resolve().parents[2]
ITEMS = [{"sku_id": "p-eggs-1", "qty": 2}, {"sku_id": "p-mango-1", "qty": 3}]

PLACE = """
import json, sys
from retail.consent import AcceptPolicy, accept_policy
from retail.orders import PlaceOrder, place_order
accept_policy(AcceptPolicy(version="2026-01", share_contact=True), openid="o-crash")
cmd = PlaceOrder.model_validate(json.loads(sys.argv[1]))
place_order(cmd, buyer="o-crash")
"""
EXPIRE = """
from retail.core import BatchRequest, Budget
from retail.orders import expire_unpaid_orders
from retail.payments import close_payment
expire_unpaid_orders(BatchRequest(), budget=Budget(60), close_payment=close_payment)
"""


def run_until_killed(code: str, point: str, uri: str, *args: str) -> int:
    env = {
        "PATH": "/usr/bin:/bin",
        "RETAIL_ENV": "dev",
        "RETAIL_DB_URI": uri,
        "RETAIL_FAULT_POINT": point,
        "PYTHONPATH": f"{ROOT / 'layers' / 'retail'}:{ROOT / 'devkit'}",
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, timeout=60
    ).returncode


def repair_now(monkeypatch):
    monkeypatch.setenv("RETAIL_REPAIR_GRACE_SECONDS", "0")
    reset_settings()
    answer = handler("order_repair")(sample("order_repair"), {"time_limit_in_ms": 60_000})
    assert answer["code"] == "OK", answer
    return answer["data"]


def counts(db):
    return {d["_id"]: (d["available"], d["reserved"], d["sold"]) for d in db.stock.find({})}


def order_request(key: str) -> str:
    data = sample("order_place")
    data.update(items=ITEMS, idempotency_key=key)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("point", "outcome"),
    [
        ("order_place:after_order_write", "FAILED"),
        ("order_place:after_line_1", "FAILED"),
        ("order_place:after_line_2", "PENDING_PAYMENT"),
        ("order_place:before_status_switch", "PENDING_PAYMENT"),
        ("order_place:after_status_switch", "PENDING_PAYMENT"),
    ],
)
def test_killed_order_place_is_finished_or_undone_by_repair(
    seeded, isolated_env, monkeypatch, point, outcome
):
    before = counts(seeded)
    assert (
        run_until_killed(PLACE, point, isolated_env, order_request("crash-key-0001")) == EXIT_CODE
    )
    order = seeded.orders.find_one({"openid": "o-crash"})
    assert order is not None
    repair_now(monkeypatch)
    order = seeded.orders.find_one({"_id": order["_id"]})
    assert order["status"] == outcome
    assert audit_stock(seeded) == []
    if outcome == "FAILED":
        assert counts(seeded) == before
    else:
        assert seeded.stock.find_one({"_id": "p-mango-1@central"})["reserved"] == 3
    assert repair_now(monkeypatch)["processed"] == 0  # nothing left to do, nothing done twice


@pytest.mark.parametrize(
    ("point", "outcome"),
    [
        ("order_place:after_line_1", "INTERRUPTED"),  # one line of two held: given back
        ("order_place:before_status_switch", "PENDING_PAYMENT"),  # both held: opened
    ],
)
def test_a_retry_with_the_same_key_finishes_a_killed_placing_at_once(
    seeded, isolated_env, monkeypatch, point, outcome
):
    """No waiting for order_repair: the buyer's retry finishes the order as soon as nothing
    can still be placing it (and says how long to wait before then)."""
    before = counts(seeded)
    request = order_request("crash-key-0002")
    assert run_until_killed(PLACE, point, isolated_env, request) == EXIT_CODE
    assert seeded.orders.find_one({"openid": "o-crash"})["status"] == "RESERVING"
    reset_settings()
    context = {"environment": json.dumps({"WX_CONTEXT_KEYS": "WX_OPENID", "WX_OPENID": "o-crash"})}
    retry = handler("order_place")
    early = retry(json.loads(request), context)
    assert early["code"] == "UNAVAILABLE" and early["details"]["retry_after_seconds"] == 1
    travel(timedelta(seconds=21))
    try:
        answer = retry(json.loads(request), context)
    finally:
        travel(timedelta(0))
    order = seeded.orders.find_one({"openid": "o-crash"})
    if outcome == "PENDING_PAYMENT":
        assert answer["code"] == "OK" and answer["data"]["status"] == outcome
        assert order["status"] == outcome and order["stock_settled"] is True
    else:
        assert answer["code"] == "CONFLICT" and answer["details"]["reason"] == outcome
        assert order["status"] == "FAILED" and counts(seeded) == before
    assert audit_stock(seeded) == []
    assert repair_now(monkeypatch)["processed"] == 0  # nothing was left for repair


@pytest.mark.parametrize(
    "point",
    [
        "settle_stock:after_move_1",
        "settle_stock:after_move_2",
        "settle_stock:before_markers_cleared",  # the moves recorded, their markers not cleared
    ],
)
def test_killed_expiry_is_settled_by_repair(seeded, isolated_env, monkeypatch, point):
    before = counts(seeded)
    from retail.orders import PlaceOrder, place_order

    consent("o-crash")
    place_order(PlaceOrder.model_validate_json(order_request("expiry-crash-01")), buyer="o-crash")
    seeded.orders.update_many({}, {"$set": {"pay_deadline": utcnow() - timedelta(seconds=1)}})
    assert run_until_killed(EXPIRE, point, isolated_env) == EXIT_CODE
    order = seeded.orders.find_one({})
    assert order["status"] == "CANCELLED" and order["stock_settled"] is False
    repair_now(monkeypatch)
    assert seeded.orders.find_one({})["stock_settled"] is True
    assert counts(seeded) == before
    assert audit_stock(seeded) == []
    assert [s["_id"] for s in seeded.stock.find({}) if s.get("ops")] == []  # no marker left


def test_the_fault_switch_is_inert_outside_dev(seeded, isolated_env):
    env_code = PLACE.replace('"o-crash"', '"o-prod"')
    run = subprocess.run(
        [sys.executable, "-c", env_code, order_request("inert-key-0001")],
        env={
            "PATH": "/usr/bin:/bin",
            "RETAIL_ENV": "prod",
            "RETAIL_SESSION_SECRET": "a-production-session-secret-for-this-test",
            "RETAIL_DB_URI": isolated_env,
            "RETAIL_ALLOW_EMBEDDED_STORE": "yes",
            "RETAIL_FAULT_POINT": "order_place:after_order_write",
            "PYTHONPATH": f"{ROOT / 'layers' / 'retail'}:{ROOT / 'devkit'}",
        },
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert seeded.orders.find_one({"openid": "o-prod"})["status"] == "PENDING_PAYMENT"


SPLIT = """
import sys
from retail.common.database import database
from retail.inventory import split_level
split_level(database(), "p-mango-1", "central", int(sys.argv[1]))
"""


@pytest.mark.parametrize(
    ("point", "outcome"),
    [
        ("order_place:after_line_1", "FAILED"),  # the split SKU's line not reserved yet
        ("order_place:after_line_2", "PENDING_PAYMENT"),  # reserved in a bucket, unrecorded
        ("order_place:before_status_switch", "PENDING_PAYMENT"),
    ],
)
def test_a_killed_placing_finds_the_bucket_its_line_took_from(
    seeded, isolated_env, monkeypatch, point, outcome
):
    from retail.inventory import split_level

    split_level(seeded, "p-mango-1", "central", 4)
    before = counts(seeded)
    assert (
        run_until_killed(PLACE, point, isolated_env, order_request("bucket-crash-01")) == EXIT_CODE
    )
    repair_now(monkeypatch)
    order = seeded.orders.find_one({"openid": "o-crash"})
    assert order["status"] == outcome
    mango = next(line for line in order["lines"] if line["sku_id"] == "p-mango-1")
    if outcome == "FAILED":
        assert counts(seeded) == before
    else:
        bucket = mango.get("bucket", 0)
        level = "p-mango-1@central" + (f"#{bucket}" if bucket else "")
        assert seeded.stock.find_one({"_id": level})["reserved"] == 3
    assert audit_stock(seeded) == []
    assert [s["_id"] for s in seeded.stock.find({}) if s.get("ops")] == []


@pytest.mark.parametrize("point", ["stock_transfer:after_take", "stock_transfer:after_give"])
def test_a_killed_transfer_is_finished_once_by_the_timer(seeded, isolated_env, point):
    from retail.inventory import buckets, finish_transfers

    total = sum(a for a, _, _ in counts(seeded).values())
    assert run_until_killed(SPLIT, point, isolated_env, "4") == EXIT_CODE
    assert any("unfinished" in problem for problem in audit_stock(seeded))
    assert finish_transfers(seeded) == 0  # it may still be running
    travel(buckets.TRANSFER_LIMIT + timedelta(seconds=1))
    try:
        assert finish_transfers(seeded) == 1
        assert finish_transfers(seeded) == 0
    finally:
        travel(timedelta(0))
    assert audit_stock(seeded) == []
    assert sum(a for a, _, _ in counts(seeded).values()) == total
    assert [s["_id"] for s in seeded.stock.find({}) if s.get("ops")] == []
