"""WeChat Pay v3 signatures and encryption, cross-checked against wechatpayv3."""

from __future__ import annotations

import base64
import json
import time

import pytest
from wechatpayv3 import utils as reference

from retail.payments import crypto
from retail.payments.config import WeChatPayConfig
from retail.payments.verification import Rejected, check_signed
from retail_dev.wechatpay_keys import encrypt_resource, new_key_pair

APIV3 = "0123456789abcdef0123456789ABCDEF"


@pytest.fixture(scope="module")
def keys():
    private, public = new_key_pair()
    return crypto.load_private_key(private), crypto.load_public_key(public)


def _config(keys, serial="PUB_KEY_ID_TEST"):
    private, public = keys
    return WeChatPayConfig(
        mode="live",
        mchid="1900000109",
        appid="wx1",
        apiv3_key=APIV3,
        private_key=private,
        cert_serial="ABC",
        verify_keys={serial: public},
        notify_url="https://x/notify",
        refund_notify_url="https://x/refund",
        transfer_notify_url="https://x/transfer",
        api_base="https://api.mch.weixin.qq.com",
        timeout_seconds=1,
    )


def _signed(keys, body, timestamp=None, serial="PUB_KEY_ID_TEST"):
    timestamp = str(timestamp or int(time.time()))
    signature = crypto.sign(keys[0], timestamp, "NONCE", body)
    return {
        "wechatpay-timestamp": timestamp,
        "wechatpay-nonce": "NONCE",
        "wechatpay-signature": signature,
        "wechatpay-serial": serial,
        "wechatpay-signature-type": "WECHATPAY2-SHA256-RSA2048",
    }


def test_pay_sign_equals_wechatpayv3s(keys):
    lines = [
        "wx8888888888888888",
        "1414561699",
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "prepay_id=wx201410272009395522657a690389285100",
    ]
    ours = crypto.sign(keys[0], *lines)
    theirs = reference.rsa_sign(keys[0], "\n".join(lines) + "\n")
    assert ours == theirs


def test_wechatpayv3_verifies_what_we_sign_and_we_verify_it_back(keys):
    body = json.dumps({"id": "EV-1", "summary": "支付成功"}, ensure_ascii=False)
    headers = _signed(keys, body)
    assert reference.rsa_verify(
        headers["wechatpay-timestamp"], "NONCE", body, headers["wechatpay-signature"], keys[1]
    )
    check_signed(_config(keys), headers, body)


def test_wechatpayv3_decrypts_what_the_sandbox_encrypts():
    resource = encrypt_resource(
        {"out_trade_no": "O1", "amount": {"total": 100}}, APIV3, "transaction", "transaction"
    )
    plain = reference.aes_decrypt(
        resource["nonce"], resource["ciphertext"], resource["associated_data"], APIV3
    )
    assert json.loads(plain) == crypto.decrypt_resource(resource, APIV3)


def test_authorization_header_is_in_wechats_format(keys):
    header = crypto.authorization(
        keys[0],
        "1900000109",
        "SERIAL1",
        "POST",
        "/v3/pay/transactions/jsapi",
        '{"a":1}',
        1554208460,
    )
    fields = crypto.parse_authorization(header)
    assert header.startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900000109",')
    assert fields["serial_no"] == "SERIAL1" and fields["timestamp"] == "1554208460"
    assert crypto.verify(
        keys[1],
        fields["signature"],
        "POST",
        "/v3/pay/transactions/jsapi",
        "1554208460",
        fields["nonce_str"],
        '{"a":1}',
    )


@pytest.mark.parametrize(
    "break_it", ["body", "signature", "serial", "stale", "probe", "type", "missing"]
)
def test_forged_or_stale_messages_are_rejected(keys, break_it):
    body = '{"id":"EV-1"}'
    headers = _signed(keys, body)
    if break_it == "body":
        body = body.replace("1", "2")
    elif break_it == "signature":
        headers["wechatpay-signature"] = base64.b64encode(b"x" * 256).decode()
    elif break_it == "serial":
        headers["wechatpay-serial"] = "PUB_KEY_ID_OTHER"
    elif break_it == "stale":
        headers = _signed(keys, body, timestamp=int(time.time()) - 301)
    elif break_it == "probe":
        headers["wechatpay-signature"] = "WECHATPAY/SIGNTEST/" + headers["wechatpay-signature"]
    elif break_it == "type":
        headers["wechatpay-signature-type"] = "WECHATPAY2-SM2-WITH-SM3"
    else:
        del headers["wechatpay-nonce"]
    with pytest.raises(Rejected):
        check_signed(_config(keys), headers, body)


def test_tampered_ciphertext_does_not_decrypt():
    resource = encrypt_resource({"a": 1}, APIV3, "transaction", "transaction")
    raw = bytearray(base64.b64decode(resource["ciphertext"]))
    raw[0] ^= 1
    with pytest.raises(ValueError):
        crypto.decrypt_resource({**resource, "ciphertext": base64.b64encode(raw).decode()}, APIV3)


def test_a_real_name_sealed_here_opens_with_wechatpayv3_and_back(keys):
    private, public = keys
    assert reference.rsa_decrypt(crypto.encrypt_sensitive(public, "张三"), private) == "张三"
    assert crypto.decrypt_sensitive(private, reference.rsa_encrypt("张三", public)) == "张三"


def test_a_transfer_bill_asks_what_wechatpayv3_asks(keys):
    """Our merchant-transfer request against wechatpayv3's mch_transfer_bills for the same bill
    (its sealed name aside: each sealing is random)."""
    from types import SimpleNamespace

    from wechatpayv3.mchtransfer import mch_transfer_bills

    from retail.payments.client import WeChatPayClient

    sent: list[tuple[str, str, dict]] = []

    class Capture:
        def send(self, method, path, body, headers):
            sent.append((method, path, json.loads(body)))
            raise ConnectionError("captured")

    client = WeChatPayClient(_config(keys), Capture())
    with pytest.raises(ConnectionError):
        client.create_transfer_bill(
            out_bill_no="W0123ABC", openid="o-payee", amount=200_000, user_name="张三"
        )
    (method, path, ours) = sent[0]
    theirs: dict = {}
    core = SimpleNamespace(
        request=lambda path, method, data, cipher_data: theirs.update(path=path, data=data),
        encrypt=lambda text: "sealed",
    )
    reference_client = SimpleNamespace(_core=core, _appid="wx1", _notify_url="https://x/transfer")
    mch_transfer_bills(
        reference_client,
        out_bill_no="W0123ABC",
        transfer_scene_id="1005",
        openid="o-payee",
        transfer_amount=200_000,
        transfer_remark=ours["transfer_remark"],
        user_name="张三",
        transfer_scene_report_infos=ours["transfer_scene_report_infos"],
    )
    assert (method, path) == ("POST", theirs["path"])
    assert {k: v for k, v in ours.items() if k != "user_name"} == {
        k: v for k, v in theirs["data"].items() if k != "user_name"
    }
    assert crypto.decrypt_sensitive(keys[0], ours["user_name"]) == "张三"
