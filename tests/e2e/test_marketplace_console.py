"""Marketplace mode end to end, through the dev gateway and the console in a real Chromium
(issue 30's "done"): merchants onboarded with their sub_mchid, a two-merchant cart paid as
one combined payment, shipped and completed, its day settled, the commission split off and
the rest released, one parcel refunded afterwards (the commission returned), reconciled,
and the statement's page showing what WeChat Pay moved beside what it computed. Screenshots
go to .artifacts/console/."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from retail.common.clock import day_of, utcnow
from retail.operators import create_operator
from retail.store import connect

from ..functions.harness import sample
from .chromium import SHOTS, skip_without_the_console_tools
from .conftest import Gateway, start_gateway, stop_gateway
from .test_console import open_page, shown, sign_in
from .test_statement_download import last_settleable_day

skip_without_the_console_tools()

ADMIN = {"X-Dev-Operator": "op:admin"}
BUYER = {"X-Dev-Openid": "o-marketplace"}
SUB_MCHIDS = {"m-self": "1000000001", "m-huaxia": "1000000002", "m-dianfeng": "1000000003"}


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    folder = tmp_path_factory.mktemp("marketplace")
    gateway = start_gateway(folder, "dev", settings={"RETAIL_PAYMENT_MODE": "marketplace"})
    yield gateway
    stop_gateway(gateway)


def ok(shop: Gateway, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    status, answer = shop.post(path, body, headers)
    assert status == 200 and answer.get("code", "OK") == "OK", (path, status, answer)
    return answer.get("data")


def test_a_two_merchant_cart_is_split_refunded_and_shown_per_statement(market, browser, tmp_path):
    db = connect(market.db_uri)
    for merchant in db.merchants.find({}):
        saved = {
            "merchant_id": merchant["_id"],
            "name": merchant["name"],
            "commission_rate_bp": merchant["commission_rate_bp"],
            "sub_mchid": SUB_MCHIDS[merchant["_id"]],
        }
        assert ok(market, "/fn/merchant_save", saved, ADMIN)["payee"]["state"] == "ACTIVE"
    for product in ("p-mango", "p-eggs"):  # seeded before the payees were known: off sale
        ok(market, "/fn/product_publish", {"product_id": product, "on_sale": True}, ADMIN)

    ok(market, "/fn/consent_accept", {"version": "2026-01", "share_contact": True}, BUYER)
    data = {**sample("order_place"), "idempotency_key": "marketplace-0001"}
    order = ok(market, "/fn/order_place", data, BUYER)
    ok(market, "/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)
    assert market.post(f"/dev/pay/{order['out_trade_no']}/succeed")[0] == 200
    stored = db.orders.find_one({"_id": order["order_id"]})
    assert stored["status"] == "PAID" and len(stored["sub_orders"]) == 2
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF0000000002"}
    ok(market, "/fn/order_ship", ship, ADMIN)
    # WeChat holds each merchant's payment: the buyer confirms each in WeChat's component
    for payment in stored["sub_transactions"].values():
        _, answer = market.post("/fn/order_confirm", {"order_id": order["order_id"]}, BUYER)
        assert answer["details"] == {"reason": "CONFIRM_AT_WECHAT", "transaction_id": payment}
        assert market.post(f"/dev/wechat/confirm_receive/{payment}", {})[0] == 200
    assert ok(market, "/fn/order_confirm", {"order_id": order["order_id"]}, BUYER)["status"] == (
        "COMPLETED"
    )

    # A week and a day pass: the gateway's clock cannot move, so the order's completion and
    # its to-do marks are moved back in the store, to the last day settlement may close.
    day = last_settleable_day()
    back = utcnow() - timedelta(days=(day_of(utcnow()) - day).days)
    db.orders.update_one(
        {"_id": order["order_id"]},
        {"$set": {"completed_at": back - timedelta(days=8), "sharing_due": back}},
    )
    settled_day = day_of(back - timedelta(days=8)).isoformat()
    status, settled = market.post(
        "/timer/settlement_run", raw=json.dumps({"day": settled_day}).encode()
    )
    assert status == 200 and settled["data"]["statements_written"] >= 2, settled
    shared = ok(market, "/timer/profit_sharing_run")
    assert shared["finished"] == 2, shared
    statement = f"m-huaxia:{settled_day}"
    before = ok(market, "/fn/split_list", {"statement_id": statement}, ADMIN)
    assert before["moved"] == before["computed"] > 0

    create_operator(db, "admin", "admin", "a-console-password-1")
    page = sign_in(browser, market, "admin", "a-console-password-1")
    open_page(page, f"order?id={order['order_id']}", tmp_path)
    parts = page.locator("[data-testid='order-wechat-shipping-part']")
    assert [parts.nth(n).get_attribute("data-value") for n in range(parts.count())] == [
        "UPLOADED",
        "UPLOADED",
    ]
    assert "微信已结算" in page.inner_text("[data-testid='order-wechat-receipt']")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "marketplace-order.png"), full_page=True)
    open_page(page, "statements?merchant_id=m-huaxia", tmp_path)
    page.click(f"[data-testid='splits-{statement}']")
    page.wait_for_selector("main[data-page=splits][data-ready=true]", timeout=20_000)
    assert int(shown(page, "splits-computed")) == before["computed"]
    assert int(shown(page, "splits-moved")) == before["moved"]
    assert shown(page, "splits-fees") == before["fees"] == "0.00000"  # today's bill: tomorrow
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "marketplace-splits.png"), full_page=True)

    # The mango parcel comes back after the split: refunded by its merchant, the commission
    # returned to it, the subsidy (none here) back to the platform.
    asked = {"order_id": order["order_id"], "reason": "bruised", "merchant_id": "m-huaxia"}
    ok(market, "/fn/refund_request", asked, BUYER)
    ok(market, "/fn/refund_review", {"order_id": order["order_id"], "approve": True}, ADMIN)
    (refund,) = [r for r in db.refunds.find({"order_id": order["order_id"]})]
    assert refund["sub_mchid"] == SUB_MCHIDS["m-huaxia"]
    assert market.post(f"/dev/refund/{refund['_id']}/SUCCESS")[0] == 200
    ok(market, "/timer/profit_sharing_run")
    ok(market, "/timer/payment_reconcile")
    after = ok(market, "/fn/split_list", {"statement_id": statement}, ADMIN)
    assert after["moved"] == 0 and [s["state"] for s in after["splits"]] == ["GIVEN_BACK"]
    open_page(page, f"splits?statement_id={statement}", tmp_path)
    assert int(shown(page, "splits-moved")) == 0
    page.screenshot(path=str(SHOTS / "marketplace-splits-after-refund.png"), full_page=True)
    calls = market.get("/dev/platform/calls?path=/v3/ecommerce/profitsharing/returnorders")[1]
    assert [c["method"] for c in calls["data"]["calls"]].count("POST") == 1  # once
    page.close()
