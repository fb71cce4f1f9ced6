"""The whole payment loop offline: gateway, sandbox WeChat Pay, notifications over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from retail.catalog import total_sales
from retail.common.clock import utcnow
from retail.inventory import audit_stock
from retail.store import connect

from ..functions.harness import sample
from .conftest import Gateway, start_gateway, stop_gateway

BUYER = {"X-Dev-Openid": "o-payer"}


@pytest.fixture
def shop(tmp_path):
    gateway = start_gateway(tmp_path, "dev", workers=3)
    for buyer in ("o-payer", "o-quick"):  # accept the privacy policy, as the app asks first
        gateway.post(
            "/fn/consent_accept",
            {"version": "2026-01", "share_contact": True},
            {"X-Dev-Openid": buyer},
        )
    yield gateway
    stop_gateway(gateway)


def _order(shop: Gateway, key: str, items=None) -> dict:
    data = {**sample("order_place"), "idempotency_key": key}
    if items:
        data["items"] = items
    status, answer = shop.post("/fn/order_place", data, BUYER)
    assert status == 200, answer
    return answer["data"]


def _timer(shop: Gateway, name: str) -> dict:
    return shop.post(f"/timer/{name}", raw=b"")[1]["data"]


def test_prepay_then_ten_simultaneous_notifications_pay_once(shop):
    order = _order(shop, "sandbox-key-001")
    status, params = shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)
    assert status == 200 and params["data"]["package"].startswith("prepay_id=wx")
    assert params["data"]["signType"] == "RSA" and params["data"]["paySign"]
    again = shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)[1]
    assert again["data"]["package"] == params["data"]["package"]
    assert (
        shop.post(
            "/fn/payment_prepay", {"order_id": order["order_id"]}, {"X-Dev-Openid": "o-other"}
        )[0]
        == 404
    )
    status, paid = shop.post(f"/dev/pay/{order['out_trade_no']}/succeed?duplicates=10")
    assert status == 200 and paid["data"]["notifications_answered"] == [200] * 10
    db = connect(shop.db_uri)
    doc = db.orders.find_one({"_id": order["order_id"]})
    assert doc["status"] == "PAID" and doc["transaction_id"].startswith("42")
    assert total_sales(db) == 2  # the rollup's part (catalog.sales)
    assert db.products.find_one({"_id": "p-mango"})["sales"] == 2
    assert audit_stock(db) == []
    assert shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)[0] == 409


def test_refund_before_shipping_restocks_and_completes_on_notification(shop):
    order = _order(shop, "sandbox-key-002")
    shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)
    shop.post(f"/dev/pay/{order['out_trade_no']}/succeed")
    status, refunding = shop.post(
        "/fn/refund_request", {"order_id": order["order_id"], "reason": "买错了"}, BUYER
    )
    assert status == 200 and refunding["data"]["status"] == "REFUNDING"
    db = connect(shop.db_uri)
    mango = db.stock.find_one({"_id": "p-mango-1@central"})
    assert (mango["available"], mango["sold"]) == (200, 0)
    refund = db.refunds.find_one({"_id": f"R{order['order_id']}"})
    assert refund["status"] == "PROCESSING"
    shop.post(f"/dev/refund/R{order['order_id']}/SUCCESS")
    assert db.orders.find_one({"_id": order["order_id"]})["status"] == "REFUNDED"
    assert db.refunds.find_one({"_id": refund["_id"]})["status"] == "SUCCESS"
    assert audit_stock(db) == []


def test_refund_after_shipping_waits_for_an_operator(shop):
    order = _order(shop, "sandbox-key-003")
    shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)
    shop.post(f"/dev/pay/{order['out_trade_no']}/succeed")
    shop.post(
        "/fn/order_ship",
        {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF1000000001"},
        {"X-Dev-Operator": "op:admin"},
    )
    asked = shop.post(
        "/fn/refund_request", {"order_id": order["order_id"], "reason": "坏了"}, BUYER
    )
    assert asked[1]["data"]["status"] == "SHIPPED"
    status, journal = shop.get("/dev/platform/calls?path=/wxa/sec/order/upload_shipping_info")
    [upload] = [c for c in journal["data"]["calls"] if c["body"]["payer"]["openid"] == "o-payer"]
    assert upload["body"]["shipping_list"][0]["express_company"] == "SF"
    assert (
        upload["answer"] == {"errcode": 0, "errmsg": "ok"} and "access_token" not in upload["query"]
    )
    paid = shop.get("/dev/platform/calls?path=/v3/pay/transactions/jsapi")[1]["data"]["calls"]
    assert any(c["body"]["out_trade_no"] == order["out_trade_no"] for c in paid)
    review = {"order_id": order["order_id"], "approve": True}
    assert (
        shop.post("/fn/refund_review", review, {"X-Dev-Operator": "op:merchant:m-self"})[0] == 403
    )
    status, approved = shop.post("/fn/refund_review", review, {"X-Dev-Operator": "op:service"})
    assert status == 200 and approved["data"]["status"] == "REFUNDING"
    db = connect(shop.db_uri)
    assert db.stock.find_one({"_id": "p-mango-1@central"})["sold"] == 2  # goods left already
    assert audit_stock(db) == []


def test_expiry_closes_the_payment_so_the_buyer_cannot_pay_a_cancelled_order(shop):
    db = connect(shop.db_uri)
    order = _order(shop, "sandbox-key-004")
    shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)
    db.orders.update_many({}, {"$set": {"pay_deadline": utcnow() - timedelta(seconds=1)}})
    assert _timer(shop, "order_expire")["processed"] == 1
    status, _ = shop.post(f"/dev/pay/{order['out_trade_no']}/succeed")
    assert status == 404  # WeChat Pay closed the transaction before the stock went back
    trade = db.sandbox_wechatpay.find_one({"_id": f"pay:{order['out_trade_no']}"})
    assert trade["trade_state"] == "CLOSED"
    assert db.orders.find_one({"_id": order["order_id"]})["status"] == "CANCELLED"
    assert db.refunds.count_documents({}) == 0
    assert audit_stock(db) == []


def test_lost_notification_is_recovered_by_reconciliation(shop):
    db = connect(shop.db_uri)
    order = _order(shop, "sandbox-key-006")
    shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)
    db.sandbox_wechatpay.update_one(
        {"_id": f"pay:{order['out_trade_no']}"}, {"$set": {"notify_url": "http://127.0.0.1:9/lost"}}
    )
    status, sent = shop.post(f"/dev/pay/{order['out_trade_no']}/succeed")
    assert status == 200 and sent["data"]["notifications_answered"] == [0]  # nobody heard it
    assert db.orders.find_one({"_id": order["order_id"]})["status"] == "PENDING_PAYMENT"
    db.orders.update_one(
        {"_id": order["order_id"]}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}}
    )
    summary = _timer(shop, "payment_reconcile")
    assert summary["processed"] == 1
    assert db.orders.find_one({"_id": order["order_id"]})["status"] == "PAID"
    assert _timer(shop, "payment_reconcile")["processed"] == 0


def test_notification_endpoint_refuses_unsigned_posts(shop):
    status, answer = shop.post(
        "/http/payment_notify", json.loads((sample("payment_notify"))["body"])
    )
    assert status == 401 and answer["code"] == "UNAUTHENTICATED"
