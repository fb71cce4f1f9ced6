"""The sample mini-program's pages, tested as WeChat developers test theirs: jest with
miniprogram-simulate renders each page, and the `wx` shim (miniprogram/test/wx-shim.js)
sends every wx.cloud.callFunction to a real dev gateway started here, so the page code runs
against the real back end. The effects are checked again here, in the store."""

from __future__ import annotations

import json
import os
import re

import pytest

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from .conftest import ROOT, node_tool, run_tool

FLOWS = {
    "a shopper browses, buys a mango and sees the order paid",
    "a new shopper opening a shared product rewards the inviter with points",
    "checkout shows the back end's error when the SKU has sold out",
    "a shopper opens a group from the deal, shares it, and a friend joins from the link",
    "a completed order is scored and complained about, and the complaint reaches the operators",
    "'me' lists the coupons to use, and a withdrawn consent is asked for again at checkout",
    "the home share card uses the shopper's arm of the share-copy experiment",
    "checkout suggests the claimed coupon, takes it off, and the order uses it",
}


# The experiment as an operator saves it (the sample request of experiment_save).
SHARE_COPY = json.loads((ROOT / "tests" / "events" / "experiment_save.json").read_text())


# Demo goods whose stock a test once wrote off or drained: now each test makes its own.
UNTOUCHED = ("p-walnut-1@central", "p-pomegranate-1@central")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Jest run twice against one gateway, the second time in reverse file order: each test
    makes its own data and leaves the shop as it found it, so both runs pass."""
    jest = node_tool("jest")
    folder = tmp_path_factory.mktemp("miniprogram")
    # a promoter made by a test withdraws at once, however new (the rules are tested in
    # tests/functions/test_withdrawals.py)
    young = {"RETAIL_WITHDRAW_MIN_ACCOUNT_AGE_SECONDS": "0", "RETAIL_WITHDRAW_MIN_FEN": "10"}
    gateway = start_gateway(folder, "dev", workers=2, settings=young)
    db = connect(gateway.db_uri)
    stock_before = {level: db.stock.find_one({"_id": level})["available"] for level in UNTOUCHED}
    reports = []
    try:
        # Saved before anyone is served: instances keep experiment definitions for 30 s, so
        # one saved mid-run would reach each worker at a time no test should wait for.
        status, _ = gateway.post("/fn/experiment_save", SHARE_COPY, {"X-Dev-Operator": "t:admin"})
        assert status == 200
        env = {**os.environ, "RETAIL_GATEWAY": gateway.url}
        for run, order in enumerate(([], ["--testSequencer", str(REVERSED)])):
            report = folder / f"jest-{run}.json"
            run_tool([str(jest), "--ci", "--json", f"--outputFile={report}", *order], env=env)
            reports.append(json.loads(report.read_text()))
    finally:
        stop_gateway(gateway)
    return reports, db, stock_before


REVERSED = ROOT / "miniprogram" / "test" / "reverse-sequencer.js"


@pytest.mark.parametrize("run", [0, 1])
def test_every_page_test_passes_against_the_gateway_run_after_run(results, run):
    report = results[0][run]
    outcomes = {
        test["title"]: test["status"]
        for suite in report["testResults"]
        for test in suite["assertionResults"]
    }
    assert set(outcomes) >= FLOWS, sorted(outcomes)
    assert set(outcomes.values()) == {"passed"}, outcomes
    assert report["numPassedTests"] == len(outcomes) >= 3


def test_the_tests_leave_the_shop_as_a_demo_should_look(results):
    _, db, stock_before = results
    assert db.products.count_documents({"_id": {"$regex": "^jest-"}, "status": "ON_SALE"}) == 0
    assert db.products.count_documents({"_id": {"$regex": "^jest-"}}) > 0  # they made their own
    assert db.ad_slots.count_documents({"_id": {"$regex": "^jest-"}, "active": True}) == 0
    open_orders = db.orders.count_documents(
        {"openid": {"$regex": "^jest-"}, "status": {"$in": ["PENDING_PAYMENT", "PAID"]}}
    )
    assert open_orders == 0
    assert {level: db.stock.find_one({"_id": level})["available"] for level in UNTOUCHED} == (
        stock_before
    )


def test_the_pages_left_their_effects_in_the_store(results):
    _, db, _ = results
    paid = db.orders.find_one({"openid": {"$regex": "^jest-buyer-"}})
    assert paid["transaction_id"] and paid["status"] == "REFUNDED"  # paid, then tidied up
    assert db.consent_log.count_documents({"openid": paid["openid"]}) == 1
    inviter = db.users.find_one({"_id": {"$regex": "^jest-inviter-"}})
    assert inviter["points"] == 50
    assert db.referrals.count_documents({"inviter": inviter["_id"]}) == 1
    events = {e["type"] for e in db.events.find({"openid": paid["openid"]})}
    assert {"page_view", "product_view", "add_to_cart", "checkout_start"} <= events
    opened = db.orders.find_one({"openid": {"$regex": "^jest-group-a-"}, "group_id": {"$ne": None}})
    group = db.groups.find_one({"_id": opened["group_id"]})
    assert (group["joined"], group["paid"], group["status"]) == (2, 2, "OPEN")
    buyers = sorted(db.orders.distinct("openid", {"group_id": group["_id"]}))
    assert [b.rsplit("-", 2)[0] for b in buyers] == ["jest-group-a", "jest-group-b"]
    for order in db.orders.find({"group_id": group["_id"]}):  # one unit at the group price
        assert [(x["sku_id"], x["qty"], x["price"]) for x in order["lines"]] == [
            ("p-honey-1", 1, 4800)
        ]
    surveyed = db.nps.find_one({"openid": {"$regex": "^jest-survey-"}})
    assert surveyed["score"] == 9
    withdrawn = db.consent_log.find_one(
        {"openid": {"$regex": "^jest-consent-"}, "action": "withdraw"}
    )
    assert withdrawn is not None


# Functions a shopper's app has no reason to call: the platform's health probe.
NOT_FOR_SHOPPERS = {"health_check"}


def test_the_sample_mini_program_calls_every_user_function():
    schemas = sorted((ROOT / "schemas" / "functions").glob("*.json"))
    for_shoppers = {
        path.stem
        for path in schemas
        if json.loads(path.read_text())["auth"] in ("user", "optional")
    } - NOT_FOR_SHOPPERS
    code = "\n".join(
        path.read_text()
        for folder in ("pages", "lib")
        for path in (ROOT / "miniprogram" / folder).rglob("*.js")
    )
    named = set(re.findall(r"""["']([a-z_]+)["']""", code))  # call("x", ...), act("x", ...)
    assert for_shoppers - named == set()
