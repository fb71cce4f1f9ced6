"""What the local WeChat Pay puts on the wire, whichever product answers: signed answers,
signed and encrypted notifications, and their delivery to our notify URLs (the production
verify / decrypt path on our side runs on them unchanged)."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

from retail.common.clock import utcnow
from retail.payments import crypto
from retail.payments.config import wechatpay_config
from retail.payments.transport import Response

from .wechatpay_keys import encrypt_resource, sandbox_material

CST = timezone(timedelta(hours=8))

# Sends a notification (url, headers, body, times) and returns the statuses our side answered.
Sender = Callable[[str, dict[str, str], str, int], list[int]]


def sandbox_keys() -> dict[str, Any]:
    config = wechatpay_config()
    assert config.sandbox_dir is not None, "the sandbox runs only in WECHATPAY_MODE=sandbox"
    return sandbox_material(config.sandbox_dir)


def signed_headers(body: str) -> dict[str, str]:
    """Wechatpay-* headers as WeChat Pay sends them, signed with the sandbox platform key."""
    material = sandbox_keys()
    timestamp, once = str(int(time.time())), crypto.nonce()
    signature = crypto.sign(
        crypto.load_private_key(material["platform_key"]), timestamp, once, body
    )
    return {
        "wechatpay-timestamp": timestamp,
        "wechatpay-nonce": once,
        "wechatpay-signature": signature,
        "wechatpay-serial": material["public_key_id"],
        "wechatpay-signature-type": crypto.SCHEMA,
        "content-type": "application/json",
    }


def answer(status: int, payload: dict[str, Any] | None) -> Response:
    body = json.dumps(payload, ensure_ascii=False) if payload is not None else ""
    return Response(status, signed_headers(body), body)


def public(record: dict[str, Any]) -> dict[str, Any]:
    hidden = {"_id", "kind", "notify_url", "prepay_id"}
    if record.get("kind") == "transfer":
        hidden.add("package_info")
    return {k: v for k, v in record.items() if k not in hidden}


def now() -> str:
    """WeChat Pay's time, on the shop's clock (dev may move it: retail.common.clock.travel)."""
    return utcnow().astimezone(CST).isoformat(timespec="seconds")


def notification(
    event_type: str, original_type: str, resource: dict[str, Any], summary: str
) -> tuple[dict[str, str], str]:
    """(headers, body) of a signed, encrypted notification, exactly as WeChat Pay sends one."""
    envelope = {
        "id": "EV-" + secrets.token_hex(10),
        "create_time": now(),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": encrypt_resource(
            resource, sandbox_keys()["apiv3_key"], original_type, original_type
        ),
    }
    body = json.dumps(envelope, ensure_ascii=False)
    return signed_headers(body), body


def deliver(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
    statuses: list[int] = []

    def post() -> None:
        request = urllib.request.Request(url, data=body.encode(), method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                statuses.append(reply.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
        except (urllib.error.URLError, OSError):
            statuses.append(
                0
            )  # nobody answered: WeChat Pay would retry, reconciliation will see it

    senders = [threading.Thread(target=post) for _ in range(times)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return statuses
