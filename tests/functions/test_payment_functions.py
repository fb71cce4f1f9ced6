"""WeChat Pay notifications through payment_notify, verified with key material this test
makes itself (WECHATPAY_MODE=live pointed at it): no network, real verification."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from retail.catalog import total_sales
from retail.common.settings import reset_settings
from retail.inventory import audit_stock
from retail.payments import crypto
from retail.payments.config import wechatpay_config
from retail.payments.connect import wechatpay_client
from retail_dev.wechatpay_keys import encrypt_resource, new_key_pair

from .harness import call, handler, http_event, sample

APIV3 = secrets.token_hex(16)
MCHID, APPID, KEY_ID = "1900000109", "wx-test-app", "PUB_KEY_ID_0114232134912410000000000"


@pytest.fixture
def wechat(tmp_path, monkeypatch, seeded):
    merchant_private, _ = new_key_pair()
    platform_private, platform_public = new_key_pair()
    (tmp_path / "apiclient_key.pem").write_bytes(merchant_private)
    (tmp_path / "pub_key.pem").write_bytes(platform_public)
    certs = tmp_path / "certs"
    certs.mkdir()
    cert_key = crypto.load_private_key(new_key_pair()[0])
    cert = _certificate(cert_key)
    (certs / "platform.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    for name, value in {
        "WECHATPAY_MODE": "live",
        "WECHATPAY_MCHID": MCHID,
        "WECHATPAY_APPID": APPID,
        "WECHATPAY_APIV3_KEY": APIV3,
        "WECHATPAY_PRIVATE_KEY_FILE": str(tmp_path / "apiclient_key.pem"),
        "WECHATPAY_CERT_SERIAL": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "WECHATPAY_PUBLIC_KEY_FILE": str(tmp_path / "pub_key.pem"),
        "WECHATPAY_PUBLIC_KEY_ID": KEY_ID,
        "WECHATPAY_PLATFORM_CERT_DIR": str(certs),
        "WECHATPAY_NOTIFY_URL": "https://shop.example/notify",
        # nothing listens here: no test ever reaches the real WeChat Pay
        "WECHATPAY_API_BASE": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    wechatpay_config.cache_clear()
    wechatpay_client.cache_clear()
    yield {
        "platform": crypto.load_private_key(platform_private),
        "cert_key": cert_key,
        "cert_serial": f"{cert.serial_number:X}",
    }
    wechatpay_config.cache_clear()
    wechatpay_client.cache_clear()


def _certificate(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1800))
        .sign(key, hashes.SHA256())
    )


def _order(key="pay-key-00000001"):
    return call("order_place", {**sample("order_place"), "idempotency_key": key})["data"]


def notification(
    order,
    signing_key,
    serial=KEY_ID,
    *,
    total=None,
    transaction_id=None,
    timestamp=None,
    mchid=MCHID,
):
    transaction = {
        "appid": APPID,
        "mchid": mchid,
        "out_trade_no": order["out_trade_no"],
        "transaction_id": transaction_id or "4200001234202611240000000001",
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": "2026-11-24T10:00:00+08:00",
        "payer": {"openid": "o-test-user"},
        "amount": {
            "total": total or order["total"],
            "payer_total": order["total"],
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }
    body = json.dumps(
        {
            "id": "EV-" + secrets.token_hex(6),
            "create_time": "2026-11-24T10:00:01+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": encrypt_resource(transaction, APIV3, "transaction", "transaction"),
        },
        ensure_ascii=False,
    )
    stamp = str(timestamp or int(time.time()))
    headers = {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": "fdasfjihihihlkja484w",
        "Wechatpay-Signature": crypto.sign(signing_key, stamp, "fdasfjihihihlkja484w", body),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }
    return http_event(body, headers)


def notify(event):
    return handler("payment_notify")(event, {})


def test_notification_marks_the_order_paid_once_even_sent_ten_times_at_once(wechat, seeded):
    order = _order()
    event = notification(order, wechat["platform"])
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(notify(event))) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a["statusCode"] for a in answers} == {200}
    outcomes = sorted(json.loads(a["body"])["data"]["outcome"] for a in answers)
    assert outcomes.count("paid") == 1 and outcomes.count("duplicate") == 9
    doc = seeded.orders.find_one({"_id": order["order_id"]})
    assert doc["status"] == "PAID" and doc["transaction_id"] == "4200001234202611240000000001"
    assert total_sales(seeded) == 2  # the rollup's part (catalog.sales)
    assert seeded.products.find_one({"_id": "p-mango"})["sales"] == 2
    assert audit_stock(seeded) == []


def test_platform_certificate_serials_verify_too(wechat, seeded):
    order = _order()
    answer = notify(notification(order, wechat["cert_key"], serial=wechat["cert_serial"]))
    assert answer["statusCode"] == 200
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "PAID"


@pytest.mark.parametrize(
    "forgery",
    ["tampered body", "wrong key", "unknown serial", "stale timestamp", "signature probe"],
)
def test_forged_notifications_are_refused_and_change_nothing(wechat, seeded, forgery):
    order = _order()
    before = list(seeded.orders.find({}))
    event = notification(order, wechat["platform"])
    if forgery == "tampered body":
        event["body"] = event["body"].replace("支付成功", "支付成攻")
    elif forgery == "wrong key":
        event = notification(order, crypto.load_private_key(new_key_pair()[0]))
    elif forgery == "unknown serial":
        event = notification(order, wechat["platform"], serial="PUB_KEY_ID_SOMEONE_ELSE")
    elif forgery == "stale timestamp":
        event = notification(order, wechat["platform"], timestamp=int(time.time()) - 600)
    else:
        event["headers"]["Wechatpay-Signature"] = (
            "WECHATPAY/SIGNTEST/" + event["headers"]["Wechatpay-Signature"]
        )
    answer = notify(event)
    assert 400 <= answer["statusCode"] < 600
    assert list(seeded.orders.find({})) == before


def test_amount_mismatch_is_not_paid_is_recorded_and_refund_starts(wechat, seeded):
    order = _order()
    answer = notify(notification(order, wechat["platform"], total=order["total"] - 100))
    assert answer["statusCode"] == 200  # acknowledged, so WeChat Pay stops resending
    assert json.loads(answer["body"])["data"]["outcome"] == "mismatch_refunded"
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "PENDING_PAYMENT"
    assert (
        seeded.risk_events.find_one({"kind": "payment_mismatch"})["evidence"]["order_total"]
        == order["total"]
    )
    refund = seeded.refunds.find_one({})
    assert refund["_id"].startswith("T") and refund["amount"] == order["total"] - 100
    # The live refund call could not reach WeChat Pay from here: it waits for reconciliation.
    assert refund["status"] == "PENDING"


def test_merchant_mismatch_is_not_paid(wechat, seeded):
    order = _order()
    answer = notify(notification(order, wechat["platform"], mchid="1900000999"))
    assert json.loads(answer["body"])["data"]["outcome"] == "mismatch_refunded"
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "PENDING_PAYMENT"
