"""Who we are to WeChat Pay and which keys verify it: from settings (live) or the sandbox."""

from __future__ import annotations

import fcntl
import json
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from retail.common.errors import ConfigurationError
from retail.common.settings import settings

from . import crypto


@dataclass(frozen=True)
class WeChatPayConfig:
    mode: str
    mchid: str
    appid: str
    apiv3_key: str
    private_key: rsa.RSAPrivateKey
    cert_serial: str
    verify_keys: dict[str, rsa.RSAPublicKey]  # Wechatpay-Serial -> key
    notify_url: str
    refund_notify_url: str
    api_base: str
    timeout_seconds: float
    sandbox_dir: Path | None = None


@lru_cache(maxsize=1)
def wechatpay_config() -> WeChatPayConfig:
    """Raises ConfigurationError naming the first missing setting."""
    config = settings()
    if config.wechatpay_mode == "sandbox":
        return _sandbox_config()
    apiv3 = config.require("WECHATPAY_APIV3_KEY")
    if len(apiv3.encode()) != 32:
        raise ConfigurationError("WECHATPAY_APIV3_KEY", "must be 32 bytes")
    keys: dict[str, rsa.RSAPublicKey] = {}
    if config.WECHATPAY_PUBLIC_KEY_FILE:
        keys[config.require("WECHATPAY_PUBLIC_KEY_ID")] = crypto.load_public_key(
            Path(config.WECHATPAY_PUBLIC_KEY_FILE).read_bytes()
        )
    if config.WECHATPAY_PLATFORM_CERT_DIR:
        for pem in sorted(Path(config.WECHATPAY_PLATFORM_CERT_DIR).glob("*.pem")):
            serial, key = crypto.load_certificate(pem.read_bytes())
            keys[serial] = key
    if not keys:
        raise ConfigurationError(
            "WECHATPAY_PUBLIC_KEY_FILE",
            "(with WECHATPAY_PUBLIC_KEY_ID) and/or WECHATPAY_PLATFORM_CERT_DIR must be set "
            "to verify WeChat Pay",
        )
    notify_url = config.require("WECHATPAY_NOTIFY_URL")
    return WeChatPayConfig(
        mode="live",
        mchid=config.require("WECHATPAY_MCHID"),
        appid=config.require("WECHATPAY_APPID"),
        apiv3_key=apiv3,
        private_key=crypto.load_private_key(
            Path(config.require("WECHATPAY_PRIVATE_KEY_FILE")).read_bytes()
        ),
        cert_serial=config.require("WECHATPAY_CERT_SERIAL"),
        verify_keys=keys,
        notify_url=notify_url,
        refund_notify_url=config.WECHATPAY_REFUND_NOTIFY_URL or notify_url,
        api_base=config.WECHATPAY_API_BASE,
        timeout_seconds=config.WECHATPAY_TIMEOUT_SECONDS,
    )


def sandbox_material(directory: Path) -> dict[str, Any]:
    """The sandbox's merchant and platform key pairs and APIv3 key, made once under .data/."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several gateway workers may start at once
        ids_file = directory / "ids.json"
        if not ids_file.exists():
            for name in ("merchant", "platform"):
                private, public = crypto.new_key_pair()
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


def _sandbox_config() -> WeChatPayConfig:
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
        refund_notify_url=config.WECHATPAY_REFUND_NOTIFY_URL
        or notify_url.replace("payment_notify", "refund_notify"),
        api_base="sandbox://wechatpay",
        timeout_seconds=config.WECHATPAY_TIMEOUT_SECONDS,
        sandbox_dir=directory,
    )
