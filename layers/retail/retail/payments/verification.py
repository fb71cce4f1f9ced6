"""Is this message really from WeChat Pay? Signature by the key `Wechatpay-Serial` names,
timestamp within five minutes, and WeChat's deliberate signature probes refused."""

from __future__ import annotations

import time

from . import crypto
from .config import WeChatPayConfig

MAX_CLOCK_SKEW_SECONDS = 300
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"


class Rejected(Exception):
    """The message is not proven to come from WeChat Pay; the reason is for our logs."""


def check_signed(
    config: WeChatPayConfig, headers: dict[str, str], body: str, now: float | None = None
) -> None:
    """Raises Rejected. `headers` are lower-cased; `body` is exactly as received."""
    signature = headers.get("wechatpay-signature", "")
    serial = headers.get("wechatpay-serial", "")
    timestamp = headers.get("wechatpay-timestamp", "")
    once = headers.get("wechatpay-nonce", "")
    if not (signature and serial and timestamp and once):
        raise Rejected("missing Wechatpay-* signature headers")
    if signature.startswith(PROBE_PREFIX):
        raise Rejected("a signature probe")
    kind = headers.get("wechatpay-signature-type", crypto.SCHEMA)
    if kind != crypto.SCHEMA:
        raise Rejected(f"unsupported signature type {kind!r}")
    if (
        not timestamp.isdigit()
        or abs((now or time.time()) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS
    ):
        raise Rejected("timestamp outside the five-minute window")
    key = config.verify_keys.get(serial)
    if key is None:
        raise Rejected(f"unknown Wechatpay-Serial {serial!r}")
    if not crypto.verify(key, signature, timestamp, once, body):
        raise Rejected("signature does not verify")
