"""What only the platform says about an invocation: who called it, from where, and how.

CloudBase writes the caller's WeChat context (WX_OPENID, WX_APPID, WX_CLIENTIP ...) and its
own (TCB_SOURCE, TCB_ENV ...) into the invocation's environment: the handler context's
`environment` JSON on current runtimes, its `environ` string (`K=V;K=V`) on older ones, or
the process environment (merged under the context's); WX_CONTEXT_KEYS and
TCB_CONTEXT_KEYS list what is there. SOURCE (wx-server-sdk's getWXContext reads it from
TCB_SOURCE) says what started the call:
`wx_client`, `wx_devtools`, `wx_trigger` (a timer), `scf` (another function) ..., chained
with commas along a call chain. Sources: docs/decisions/0010-trust-boundaries.md.

The event itself is the caller's (a mini-program passes any object as `data`), so nothing
here reads it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from retail.common.clientip import normalise_ip

TIMER_SOURCE = "wx_trigger"
# Present only when a client (a WeChat user, a CloudBase login, another function) called.
CALLER_KEYS = (
    "WX_OPENID",
    "WX_UNIONID",
    "WX_FROM_OPENID",
    "WX_FROM_APPID",
    "WX_CLIENTIP",
    "WX_CLIENTIPV6",
    "TCB_UUID",
    "TCB_CUSTOM_USER_ID",
    "TCB_SOURCE_IP",
    "TCB_ISANONYMOUS_USER",
)
KNOWN_KEYS = (*CALLER_KEYS, "WX_APPID", "TCB_SOURCE", "TCB_ENV", "SCF_NAMESPACE")
HIDDEN_KEYS = {"WX_API_TOKEN", "WX_TRIGGER_API_TOKEN_V0", "TCB_SESSIONTOKEN"}
DEV_OPERATOR_KEY = "RETAIL_DEV_OPERATOR"  # put into the context by the dev gateway only
# Put into the context by the image entry (image/retail_entry.py) only: SCF's X-Scf-Trigger-Src
# header, which an image function receives as "Timer" when a timer trigger fires, and whether
# the function is deployed with a function URL (its only HTTP trigger).
TRIGGER_SRC_KEY = "trigger_src"
TIMER_TRIGGER_SRC = "Timer"
FUNCTION_URL_KEY = "function_url"
# ... and whether CloudBase's rules close the function to clients, so that only its URL can
# bring an HTTP-shaped event and the address in it is the one SCF wrote.
CLOSED_TO_CLIENTS_KEY = "closed_to_clients"


@dataclass(frozen=True)
class Platform:
    """The platform's word on one invocation."""

    values: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None
    function_name: str | None = None
    time_limit_ms: int | None = None
    dev_operator: str | None = None
    # The platform's own word on whether a timer started this call, and whether an HTTP
    # trigger can have: True/False where the runtime says (an image function's
    # X-Scf-Trigger-Src; its entry's --function-url), None where it says nothing (the code
    # runtimes, where a trigger is told by its event when no client is in the context).
    timer: bool | None = None
    http: bool | None = None
    # Whether an HTTP event's address (x-scf-remote-addr, requestContext.sourceIp) is the
    # platform's: not where a client may send the same shape (an image function CloudBase's
    # rules leave open to clients, which the entry cannot tell from a URL call).
    http_address: bool = True

    @property
    def source(self) -> tuple[str, ...]:
        """The SOURCE chain, outermost caller first (empty outside CloudBase)."""
        raw = self.values.get("TCB_SOURCE", "")
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    @property
    def from_client(self) -> bool:
        """A caller identity or a caller's source is present: the event is that caller's
        data, whatever it looks like."""
        if any(self.values.get(key) for key in CALLER_KEYS):
            return True
        return any(part != TIMER_SOURCE for part in self.source)

    @property
    def client_ip(self) -> str | None:
        for key in ("WX_CLIENTIP", "WX_CLIENTIPV6", "TCB_SOURCE_IP"):
            if ip := normalise_ip(self.values.get(key)):
                return ip
        return None

    def get(self, key: str) -> str | None:
        return self.values.get(key) or None


def platform_of(context: Any) -> Platform:
    """Read the handler context SCF passes (a dict; anything else counts as empty)."""
    context = context if isinstance(context, dict) else {}
    limit = context.get("time_limit_in_ms")
    dev_operator = context.get(DEV_OPERATOR_KEY)
    return Platform(
        values=_invocation_environment(context),
        request_id=_text(context.get("request_id")),
        function_name=_text(context.get("function_name")),
        time_limit_ms=limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        dev_operator=_text(dev_operator),
        timer=_timer_word(context),
        http=context[FUNCTION_URL_KEY] is True if FUNCTION_URL_KEY in context else None,
        http_address=FUNCTION_URL_KEY not in context or context.get(CLOSED_TO_CLIENTS_KEY) is True,
    )


def _timer_word(context: dict[str, Any]) -> bool | None:
    if TRIGGER_SRC_KEY not in context:
        return None
    return bool(context[TRIGGER_SRC_KEY] == TIMER_TRIGGER_SRC)


def _invocation_environment(context: dict[str, Any]) -> dict[str, str]:
    """The WX_/TCB_ values of this invocation: the context's over the process environment's
    (a runtime may put them in either; @cloudbase/node-sdk getCloudbaseContext merges both and
    the context wins). Merged, never one or the other: a context carrying some unrelated
    value must not hide a caller the process environment names."""
    ctx = _context_environment(context)
    environ = os.environ

    def value_of(name: str) -> Any:
        return ctx[name] if name in ctx else environ.get(name)

    listed: list[str] = []
    for keys_name in ("WX_CONTEXT_KEYS", "TCB_CONTEXT_KEYS"):
        keys = value_of(keys_name) or ""
        listed += keys.split(",") if isinstance(keys, str) else [str(k) for k in keys]
    found: dict[str, str] = {}
    for name in dict.fromkeys([*filter(None, listed), *KNOWN_KEYS]):
        value = value_of(name)
        if value not in (None, "") and name not in HIDDEN_KEYS:
            found[name] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return found


def _context_environment(context: dict[str, Any]) -> dict[str, Any]:
    raw = context.get("environment")
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(raw, str) and raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    env: dict[str, Any] = {}
    for part in str(context.get("environ") or "").split(";"):
        key, sep, value = part.partition("=")
        if sep:
            env[key] = value
    return env


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and str(value) else None
