"""Which trigger called us, and the request it carries.

SCF hands every trigger to the same `main_handler(event, context)`: a CloudBase
`callFunction` passes the mini-program's `data` as the event; an HTTP trigger passes method,
headers and the raw body (API gateway: with `requestContext.sourceIp`; function URL: with
the client address in `x-scf-remote-addr`); a timer passes
`{"Type": "Timer", "TriggerName", "Time", "Message"}`.

The event's shape is the caller's to choose, so it decides nothing alone: when the platform
says a client called (`Platform.from_client`), the event is that client's data even if it
looks like a timer or an HTTP request. Only without a client may the shape tell a timer
from an HTTP trigger, and those shapes are built by the platform, not by the caller. Where
the runtime itself says whether a timer fired or an HTTP trigger can have (`Platform.timer`,
`Platform.http`: an image function), a shape it does not vouch for is a client's data.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from retail.common.errors import InvalidArgument, PayloadTooLarge
from retail.common.models import is_text

from .platform import Platform

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32  # no request of ours nests deeper than a few levels
# CloudBase once injected the caller's {appId, openId} into the event as `userInfo`; WeChat's
# templates still call it a reserved, deprecated field. It is dropped, never read.
PLATFORM_RESERVED_KEY = "userInfo"
# Keys that name an identity: in a request that does not declare them, a spoofing attempt.
IDENTITY_KEYS = frozenset(
    {"openid", "OPENID", "openId", "unionid", "UNIONID", "unionId", "appid", "APPID", "appId"}
)


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
    query: dict[str, str] = field(default_factory=dict)
    request_context: dict[str, Any] = field(default_factory=dict)
    forged_platform_keys: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def is_timer_event(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and str(event.get("Type", "")).lower() == "timer"
        and isinstance(event.get("TriggerName"), str)
    )


def is_http_event(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and isinstance(event.get("httpMethod"), str)
        and isinstance(event.get("headers"), dict)
    )


def detect_trigger(event: Any, platform: Platform) -> Trigger:
    """The trigger, from the platform first (see the module docstring)."""
    if not platform.from_client:
        if is_timer_event(event) and platform.timer is not False:
            return Trigger.TIMER
        if is_http_event(event) and platform.http is not False:
            return Trigger.HTTP
    return Trigger.CLOUDBASE


def parse_event(event: Any, trigger: Trigger, platform: Platform) -> Invocation:
    """The request data `trigger` carries. Raises InvalidArgument or PayloadTooLarge."""
    if not isinstance(event, dict):
        raise InvalidArgument("the request must be a JSON object")
    if trigger is Trigger.TIMER:
        return Invocation(Trigger.TIMER, _timer_data(event))
    if trigger is Trigger.HTTP:
        return _http_invocation(event)
    return _cloudbase_invocation(event, platform)


def _cloudbase_invocation(event: dict[str, Any], platform: Platform) -> Invocation:
    _refuse_deep(event)
    forged = []
    if is_timer_event(event) or is_http_event(event):
        forged.append("event shape")
    injected = event.get(PLATFORM_RESERVED_KEY)
    if injected is not None:
        claimed = injected.get("openId") if isinstance(injected, dict) else injected
        if claimed is not None and claimed != platform.get("WX_OPENID"):
            forged.append(PLATFORM_RESERVED_KEY)
    data = {k: v for k, v in event.items() if k != PLATFORM_RESERVED_KEY}
    return Invocation(Trigger.CLOUDBASE, data, forged_platform_keys=forged)


def _timer_data(event: dict[str, Any]) -> dict[str, Any]:
    message = event.get("Message") or ""
    if not message:
        return {}
    return _json_object(str(message), "timer Message")


def _http_invocation(event: dict[str, Any]) -> Invocation:
    headers = {str(k).lower(): str(v) for k, v in event["headers"].items()}
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise InvalidArgument("the body must be text")
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidArgument("the body is not valid base64 UTF-8") from None
    if not all(is_text(text) for text in (body, *headers, *headers.values())):
        raise InvalidArgument("the request is not valid UTF-8 text")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes")
    given = event.get("queryString") or event.get("queryStringParameters") or {}
    query = {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
    if not all(is_text(text) for text in (*query, *query.values())):
        raise InvalidArgument("the query is not valid UTF-8 text")
    # A GET says what it asks in its query (WeChat's URL verification); anything else in its body.
    data = _json_object(body, "the body") if body.strip() else {}
    if not body.strip() and str(event.get("httpMethod", "")).upper() == "GET":
        data = dict(query)
    context = event.get("requestContext")
    return Invocation(
        Trigger.HTTP, data, headers, body, query, context if isinstance(context, dict) else {}
    )


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise InvalidArgument(f"the request nests deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise InvalidArgument(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgument(f"{what} must be a JSON object")
    _refuse_deep(data)
    return data


def _refuse_deep(value: Any) -> None:
    """Raises InvalidArgument for containers nested past MAX_DEPTH (checked without
    recursion, so the check itself cannot overflow the stack)."""
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, (dict, list)) else []
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise InvalidArgument(f"the request nests deeper than {MAX_DEPTH} levels")
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
