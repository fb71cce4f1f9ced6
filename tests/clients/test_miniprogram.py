"""The sample mini-program's pages, tested as WeChat developers test theirs: jest with
miniprogram-simulate renders each page, and the `wx` shim (miniprogram/test/wx-shim.js)
sends every wx.cloud.callFunction to a real dev gateway started here, so the page code runs
against the real back end. The effects are checked again here, in the store."""

from __future__ import annotations

import json
import os

import pytest

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from .conftest import node_tool, run_tool

FLOWS = {
    "a shopper browses, buys a mango and sees the order paid",
    "a new shopper opening a shared product rewards the inviter with points",
    "checkout shows the back end's error when the SKU has sold out",
    "a shopper opens a group from the deal, shares it, and a friend joins from the link",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    jest = node_tool("jest")
    folder = tmp_path_factory.mktemp("miniprogram")
    gateway = start_gateway(folder, "dev", workers=2)
    report = folder / "jest.json"
    try:
        env = {**os.environ, "RETAIL_GATEWAY": gateway.url}
        run_tool([str(jest), "--ci", "--json", f"--outputFile={report}"], env=env)
    finally:
        stop_gateway(gateway)
    return json.loads(report.read_text()), connect(gateway.db_uri)


def test_every_page_test_passes_against_the_gateway(results):
    report, _ = results
    outcomes = {
        test["title"]: test["status"]
        for suite in report["testResults"]
        for test in suite["assertionResults"]
    }
    assert set(outcomes) >= FLOWS, sorted(outcomes)
    assert set(outcomes.values()) == {"passed"}, outcomes
    assert report["numPassedTests"] == len(outcomes) >= 3


def test_the_pages_left_their_effects_in_the_store(results):
    _, db = results
    paid = db.orders.find_one({"openid": {"$regex": "^jest-buyer-"}})
    assert paid["status"] == "PAID" and paid["transaction_id"]
    assert db.consent_log.count_documents({"openid": paid["openid"]}) == 1
    inviter = db.users.find_one({"_id": {"$regex": "^jest-inviter-"}})
    assert inviter["points"] == 50
    assert db.referrals.count_documents({"inviter": inviter["_id"]}) == 1
    events = {e["type"] for e in db.events.find({"openid": paid["openid"]})}
    assert {"page_view", "product_view", "add_to_cart", "checkout_start"} <= events
    group = db.groups.find_one({"leader": {"$regex": "^jest-group-a-"}})
    assert (group["joined"], group["paid"], group["status"]) == (2, 2, "OPEN")
    buyers = sorted(db.orders.distinct("openid", {"group_id": group["_id"]}))
    assert [b.rsplit("-", 2)[0] for b in buyers] == ["jest-group-a", "jest-group-b"]
    for order in db.orders.find({"group_id": group["_id"]}):  # one unit at the group price
        assert [(x["sku_id"], x["qty"], x["price"]) for x in order["lines"]] == [
            ("p-honey-1", 1, 4800)
        ]
