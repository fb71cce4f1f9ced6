"""Who we are to WeChat Pay and which keys verify it: from settings (live), or from the local
WeChat Pay's keys in development (retail_dev.wechatpay_keys)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from retail.common.errors import ConfigurationError
from retail.common.settings import settings

from . import crypto


@dataclass(frozen=True)
class WeChatPayConfig:
    mode: str
    mchid: str  # who signs: the shop's merchant (direct) or the platform's (marketplace)
    appid: str
    apiv3_key: str
    private_key: rsa.RSAPrivateKey
    cert_serial: str
    verify_keys: dict[str, rsa.RSAPublicKey]  # Wechatpay-Serial -> key
    notify_url: str
    refund_notify_url: str
    transfer_notify_url: str
    api_base: str
    timeout_seconds: float
    sandbox_dir: Path | None = None


@lru_cache(maxsize=1)
def wechatpay_config() -> WeChatPayConfig:
    """Raises ConfigurationError naming the first missing setting."""
    config = settings()
    if config.wechatpay_mode == "sandbox":
        # The local WeChat Pay is development's, not in the deployed layer (retail_dev).
        from retail_dev.wechatpay_keys import sandbox_config

        return sandbox_config()
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
        mchid=config.require(
            "WECHATPAY_SP_MCHID" if config.payment_mode == "marketplace" else "WECHATPAY_MCHID"
        ),
        appid=config.require("WECHATPAY_APPID"),
        apiv3_key=apiv3,
        private_key=crypto.load_private_key(
            Path(config.require("WECHATPAY_PRIVATE_KEY_FILE")).read_bytes()
        ),
        cert_serial=config.require("WECHATPAY_CERT_SERIAL"),
        verify_keys=keys,
        notify_url=notify_url,
        refund_notify_url=config.WECHATPAY_REFUND_NOTIFY_URL or notify_url,
        transfer_notify_url=config.WECHATPAY_TRANSFER_NOTIFY_URL or notify_url,
        api_base=config.WECHATPAY_API_BASE,
        timeout_seconds=config.WECHATPAY_TIMEOUT_SECONDS,
    )
