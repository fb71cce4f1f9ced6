"""WeChat's message push (消息推送) to the mini-program's server, in secure mode (安全模式).

developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html, whose
test vector tests/golden/wechat/message_push.json copies (docs/decisions/0021):
- the server URL is verified by a GET: `signature` = sha1 of the sorted (token, timestamp,
  nonce) joined; the answer is `echostr` as it came;
- each event is a POST `{"ToUserName", "Encrypt"}` with `msg_signature` = sha1 of the sorted
  (token, timestamp, nonce, Encrypt) joined ("不要使用signature验证": the plain `signature`
  does not cover the body, so plaintext mode is refused);
- Encrypt is AES-256-CBC under base64(EncodingAESKey + "="), the IV its first 16 bytes,
  PKCS#7 padded to 32 bytes, over 16 random bytes + the message's length (4 bytes, big
  endian) + the message + the app id, which must be ours.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from retail.common.settings import settings

MAX_CLOCK_SKEW_SECONDS = 300
BLOCK = 32


class Rejected(Exception):
    """A push that is not WeChat's, or not for this app."""


@dataclass(frozen=True)
class PushSecrets:
    token: str
    aes_key: bytes
    appid: str


def secrets_from(token: str, encoding_aes_key: str, appid: str) -> PushSecrets:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise ValueError("EncodingAESKey must be 43 characters (32 bytes in base64)")
    return PushSecrets(token, key, appid)


def push_secrets() -> PushSecrets | None:
    """The message-push settings (WECHAT_PUSH_TOKEN, WECHAT_PUSH_AES_KEY), or the local
    WeChat's in dev; None when the shop has not configured them (every push is refused)."""
    config = settings()
    if config.WECHAT_PUSH_TOKEN and config.WECHAT_PUSH_AES_KEY:
        appid = config.WECHAT_APPID or ""
        return secrets_from(config.WECHAT_PUSH_TOKEN, config.WECHAT_PUSH_AES_KEY, appid)
    if config.wechat_client == "fake":
        from retail_dev.wechat_sandbox import PUSH_AES_KEY, PUSH_TOKEN

        return secrets_from(PUSH_TOKEN, PUSH_AES_KEY, config.WECHAT_APPID or "wx-dev-appid")
    return None


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _fresh(query: dict[str, str], now: float | None) -> str:
    timestamp, once = query.get("timestamp", ""), query.get("nonce", "")
    if not (timestamp.isdigit() and once):
        raise Rejected("timestamp or nonce missing")
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        raise Rejected("timestamp outside the five-minute window")
    return timestamp


def check_url_verification(
    query: dict[str, str], secrets: PushSecrets, now: float | None = None
) -> None:
    """WeChat's GET when an operator saves the server URL. Raises Rejected."""
    timestamp = _fresh(query, now)
    expected = signature(secrets.token, timestamp, query["nonce"])
    if not (query.get("echostr") and hmac.compare_digest(expected, query.get("signature", ""))):
        raise Rejected("the URL verification's signature does not match")


def check_push(
    query: dict[str, str], body: str, secrets: PushSecrets, now: float | None = None
) -> None:
    """A POSTed event in secure mode: msg_signature over the Encrypt it carries. Raises
    Rejected (plaintext mode included)."""
    if query.get("encrypt_type") != "aes":
        raise Rejected("only secure mode (encrypt_type=aes) is accepted")
    timestamp = _fresh(query, now)
    try:
        encrypted = json.loads(body).get("Encrypt")
    except (ValueError, AttributeError):
        raise Rejected("the body is not a JSON push") from None
    if not isinstance(encrypted, str):
        raise Rejected("the push carries no Encrypt")
    expected = signature(secrets.token, timestamp, query["nonce"], encrypted)
    if not hmac.compare_digest(expected, query.get("msg_signature", "")):
        raise Rejected("msg_signature does not match")


def open_push(encrypted: str, secrets: PushSecrets) -> dict[str, Any]:
    """The event inside an Encrypt. Raises Rejected when it does not decrypt, is not JSON,
    or was sealed for another app."""
    try:
        sealed = base64.b64decode(encrypted, validate=True)
        if not sealed or len(sealed) % BLOCK:
            raise ValueError("not whole 32-byte blocks")
        decryptor = Cipher(algorithms.AES(secrets.aes_key), modes.CBC(secrets.aes_key[:16]))
        plain = decryptor.decryptor().update(sealed)
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise ValueError("bad padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        message, appid = plain[20 : 20 + length], plain[20 + length :].decode("utf-8")
        event = json.loads(message.decode("utf-8"))
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise Rejected(f"the push does not decrypt: {exc}") from None
    if appid != secrets.appid or not isinstance(event, dict):
        raise Rejected("the push was sealed for another app")
    return event
