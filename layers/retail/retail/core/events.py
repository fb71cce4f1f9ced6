"""Which trigger called us, and the request it carries.

SCF hands every trigger to the same `main_handler(event, context)`: a CloudBase
`callFunction` passes the mini-program's `data` as the event; an HTTP trigger (function URL
or API gateway) passes method, headers and the raw body; a timer passes `{"Type": "timer"}`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from retail.common.errors import InvalidArgument, PayloadTooLarge

MAX_BODY_BYTES = 1024 * 1024
# Keys CloudBase or a client may put in the data that must never be taken as identity.
IDENTITY_KEYS = {"userInfo", "openid", "OPENID", "openId", "unionid", "UNIONID", "appid", "APPID"}


class Trigger(str, Enum):
    CLOUDBASE = "cloudbase"
    HTTP = "http"
    TIMER = "timer"


@dataclass
class Invocation:
    trigger: Trigger
    data: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: str = ""
    ignored_identity_keys: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def detect_trigger(event: Any) -> Trigger:
    if isinstance(event, dict):
        if event.get("Type") == "timer" and "TriggerName" in event:
            return Trigger.TIMER
        if "httpMethod" in event and "headers" in event:
            return Trigger.HTTP
    return Trigger.CLOUDBASE


def parse_event(event: Any, trigger: Trigger) -> Invocation:
    """The request data `trigger` carries. Raises InvalidArgument or PayloadTooLarge."""
    if not isinstance(event, dict):
        raise InvalidArgument("the request must be a JSON object")
    if trigger is Trigger.TIMER:
        return Invocation(Trigger.TIMER, _timer_data(event))
    if trigger is Trigger.HTTP:
        return _http_invocation(event)
    data = {k: v for k, v in event.items() if k not in IDENTITY_KEYS}
    return Invocation(
        Trigger.CLOUDBASE, data, ignored_identity_keys=sorted(set(event) & IDENTITY_KEYS)
    )


def _timer_data(event: dict[str, Any]) -> dict[str, Any]:
    message = event.get("Message") or ""
    if not message:
        return {}
    try:
        data = json.loads(message)
    except ValueError:
        raise InvalidArgument("timer Message must be a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidArgument("timer Message must be a JSON object")
    return data


def _http_invocation(event: dict[str, Any]) -> Invocation:
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidArgument("the body is not valid base64 UTF-8") from None
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes")
    data: Any = {}
    if body.strip():
        try:
            data = json.loads(body)
        except ValueError:
            raise InvalidArgument("the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgument("the body must be a JSON object")
    clean = {k: v for k, v in data.items() if k not in IDENTITY_KEYS}
    return Invocation(Trigger.HTTP, clean, headers, body, sorted(set(data) & IDENTITY_KEYS))
