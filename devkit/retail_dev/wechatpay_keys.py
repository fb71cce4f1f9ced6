"""The local WeChat Pay's keys: a merchant and a platform key pair and an APIv3 key made
once under .data/, and the client configuration that trusts them (WECHATPAY_MODE=sandbox)."""

from __future__ import annotations

import base64
import fcntl
import json
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from retail.common.settings import settings
from retail.payments import crypto
from retail.payments.config import WeChatPayConfig


def sandbox_material(directory: Path) -> dict[str, Any]:
    """The sandbox's merchant and platform key pairs and APIv3 key, made once under .data/."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several gateway workers may start at once
        ids_file = directory / "ids.json"
        if not ids_file.exists():
            for name in ("merchant", "platform"):
                private, public = new_key_pair()
                (directory / f"{name}_key.pem").write_bytes(private)
                (directory / f"{name}_pub.pem").write_bytes(public)
            (directory / "apiv3.key").write_text(secrets.token_hex(16))
            ids_file.write_text(
                json.dumps(
                    {
                        "mchid": "1900000109",
                        "cert_serial": secrets.token_hex(20).upper(),
                        "public_key_id": f"PUB_KEY_ID_{secrets.token_hex(12).upper()}",
                    }
                )
            )
    ids: dict[str, Any] = json.loads(ids_file.read_text())
    return {
        **ids,
        "apiv3_key": (directory / "apiv3.key").read_text().strip(),
        **{
            f"{n}_{kind}": (directory / f"{n}_{kind}.pem").read_bytes()
            for n in ("merchant", "platform")
            for kind in ("key", "pub")
        },
    }


def sandbox_config() -> WeChatPayConfig:
    config = settings()
    directory = Path(config.WECHATPAY_SANDBOX_DIR)
    material = sandbox_material(directory)
    notify_url = config.WECHATPAY_NOTIFY_URL or "http://127.0.0.1:8787/http/payment_notify"
    return WeChatPayConfig(
        mode="sandbox",
        mchid=material["mchid"],
        appid=config.WECHATPAY_APPID or config.WECHAT_APPID or "wx-dev-appid",
        apiv3_key=material["apiv3_key"],
        private_key=crypto.load_private_key(material["merchant_key"]),
        cert_serial=material["cert_serial"],
        verify_keys={material["public_key_id"]: crypto.load_public_key(material["platform_pub"])},
        notify_url=notify_url,
        transfer_notify_url=config.WECHATPAY_TRANSFER_NOTIFY_URL
        or "http://127.0.0.1:8787/http/transfer_notify",
        refund_notify_url=config.WECHATPAY_REFUND_NOTIFY_URL
        or notify_url.replace("payment_notify", "refund_notify"),
        api_base="sandbox://wechatpay",
        timeout_seconds=config.WECHATPAY_TIMEOUT_SECONDS,
        sandbox_dir=directory,
    )


def new_key_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def encrypt_resource(
    data: dict[str, Any], apiv3_key: str, associated_data: str, original_type: str
) -> dict[str, str]:
    """The sandbox's side of decrypt_resource."""
    once = crypto.nonce(12)
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        once.encode(), json.dumps(data, ensure_ascii=False).encode(), associated_data.encode()
    )
    return {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": once,
    }
