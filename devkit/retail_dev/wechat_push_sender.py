"""The local WeChat's message push: events sealed in secure mode, as WeChat sends them, to
the shop's platform_event (developers.weixin.qq.com/miniprogram/dev/framework/server-ability/
message-push.html; the format is checked against the page's own test vector in
tests/unit/test_wechat_push.py).

Events wait in `sandbox_wechat_pushes` until delivered, oldest first: by a thread a moment
after they are queued when RETAIL_DEV_WECHAT_PUSH_URL names the endpoint (the dev gateway
sets it), or by `deliver_pushes` (POST /dev/wechat/push, and tests in-process). One sender
claims each event; one our endpoint did not acknowledge with 200 is queued again.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pymongo import ReturnDocument

from retail.adapters.wechat_push import BLOCK, PushSecrets, push_secrets, signature
from retail.common.database import database

PUSHES = "sandbox_wechat_pushes"
# (query, body) -> the HTTP status our endpoint answered
Send = Callable[[dict[str, str], str], int]


def seal(message: str, secrets_: PushSecrets, random16: bytes | None = None) -> str:
    """Encrypt as WeChat does: 16 random bytes, length, message, appid; PKCS#7 to 32 bytes."""
    raw = message.encode("utf-8")
    plain = (random16 or secrets.token_bytes(16)) + struct.pack(">I", len(raw)) + raw
    plain += secrets_.appid.encode("utf-8")
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(secrets_.aes_key), modes.CBC(secrets_.aes_key[:16]))
    sealed = encryptor.encryptor().update(plain)
    return base64.b64encode(sealed).decode("ascii")


def sealed_request(event: dict[str, Any]) -> tuple[dict[str, str], str]:
    """(query, body) of one pushed event, signed and sealed with the shop's settings."""
    secrets_ = push_secrets()
    assert secrets_ is not None, "the local WeChat pushes only with push settings"
    encrypted = seal(json.dumps(event, ensure_ascii=False), secrets_)
    timestamp, once = str(int(time.time())), str(secrets.randbelow(10**10))
    query = {
        "signature": signature(secrets_.token, timestamp, once),
        "timestamp": timestamp,
        "nonce": once,
        "openid": str(event.get("FromUserName", "")),
        "encrypt_type": "aes",
        "msg_signature": signature(secrets_.token, timestamp, once, encrypted),
    }
    body = json.dumps({"ToUserName": event.get("ToUserName", "gh_sandbox"), "Encrypt": encrypted})
    return query, body


def queue_push(event: dict[str, Any]) -> None:
    """WeChat has something to tell the shop: sent soon by a thread where the endpoint is
    known, else when someone delivers."""
    database()[PUSHES].insert_one(
        {"_id": f"{time.time_ns():020d}{secrets.token_hex(4)}", "event": event, "state": "queued"}
    )
    if os.environ.get("RETAIL_DEV_WECHAT_PUSH_URL"):
        threading.Thread(target=_deliver_soon, daemon=True).start()


def _deliver_soon() -> None:
    time.sleep(0.2)  # after the call that caused it has answered, as from WeChat
    deliver_pushes()


def deliver_pushes(send: Send | None = None) -> list[int]:
    """Send every queued event, oldest first; the statuses our endpoint answered."""
    pushes = database()[PUSHES]
    statuses: list[int] = []
    while True:
        claimed = pushes.find_one_and_update(
            {"state": "queued"},
            {"$set": {"state": "sending"}},
            sort=[("_id", 1)],
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:
            return statuses
        query, body = sealed_request(claimed["event"])
        status = (send or _post)(query, body)
        statuses.append(status)
        pushes.update_one(
            {"_id": claimed["_id"]}, {"$set": {"state": "delivered" if status == 200 else "queued"}}
        )
        if status != 200:
            return statuses  # WeChat tries again later


def _post(query: dict[str, str], body: str) -> int:
    url = (
        os.environ.get("RETAIL_DEV_WECHAT_PUSH_URL") or "http://127.0.0.1:8787/http/platform_event"
    )
    target = f"{url}?{urllib.parse.urlencode(query)}"
    request = urllib.request.Request(
        target, data=body.encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0
