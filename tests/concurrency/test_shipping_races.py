"""Two merchants ship their parcels of one order at the same moment, in real processes: WeChat
is told once, in order, and its one re-shipping is never spent (orders.shipping_upload)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from ..functions.harness import sample
from .buyers import answer
from .racing import race

BUYER = "o-two-parcels"
UPLOAD = "/wxa/sec/order/upload_shipping_info"


@pytest.fixture
def shop(tmp_path, gateway_store):
    # WeChat over the internet: each call arrives up to 150 ms late, so two uploads sent one
    # after the other may arrive the other way round.
    jitter = {"RETAIL_DEV_WECHAT_JITTER_MS": "150"}
    gateway = start_gateway(tmp_path, "dev", workers=4, settings=jitter, db_uri=gateway_store)
    yield gateway
    stop_gateway(gateway)


def _ship(
    url: str, order_id: str, merchant: str, tracking_no: str, start: Any, results: Any
) -> None:
    body = {"order_id": order_id, "carrier": "ZTO", "tracking_no": tracking_no}
    request = urllib.request.Request(
        url + "/fn/order_ship",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"X-Dev-Operator": f"op-{merchant}:merchant:{merchant}"},
    )
    start.wait()
    with urllib.request.urlopen(request, timeout=60) as response:
        results.put(json.loads(response.read())["code"])


def _paid_order(shop: Any, n: int) -> dict[str, Any]:
    data = {**sample("order_place"), "idempotency_key": f"two-parcels-{n:03d}"}
    order = answer(shop.url, "/fn/order_place", data, BUYER)["data"]
    answer(shop.url, "/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)
    status, _ = shop.post(f"/dev/pay/{order['out_trade_no']}/succeed")
    assert status == 200
    return order


def test_two_merchants_shipping_one_order_at_once_tell_wechat_once_in_order(shop):
    answer(shop.url, "/fn/consent_accept", {"version": "2026-01", "share_contact": True}, BUYER)
    orders = [_paid_order(shop, n) for n in range(6)]
    jobs = []
    for order in orders:
        jobs.append((shop.url, order["order_id"], "m-huaxia", f"ZT{order['order_id'][-8:]}1"))
        jobs.append((shop.url, order["order_id"], "m-self", f"ZT{order['order_id'][-8:]}2"))
    assert race(_ship, jobs) == ["OK"] * len(jobs)
    shop.post("/timer/shipping_sync", raw=b"")  # what a held order left to the timer
    db = connect(shop.db_uri)
    for order in orders:
        stored = db.orders.find_one({"_id": order["order_id"]})
        assert "shipping_due" not in stored and stored["wechat_shipping"]["state"] == "UPLOADED"
        wechat = db.sandbox_wechat_orders.find_one({"_id": stored["transaction_id"]})
        assert wechat["finish_shipping_count"] == 1, wechat  # the re-shipping never spent
        assert wechat["shipping"]["is_all_delivered"] is True
        assert len(wechat["shipping"]["shipping_list"]) == 2
        sent = [
            c["body"]
            for c in db.sandbox_platform_calls.find({"path": UPLOAD}, sort=[("at", 1), ("_id", 1)])
            if c["body"]["order_key"]["transaction_id"] == stored["transaction_id"]
        ]
        finished = [n for n, body in enumerate(sent) if body.get("is_all_delivered")]
        assert finished and finished[0] == len(sent) - 1, sent  # nothing after the last word
