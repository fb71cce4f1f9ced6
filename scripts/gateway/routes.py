"""Turning a local HTTP request into the event and context SCF would hand the function.

POST /fn/<name>     wx.cloud.callFunction: body = data; the context CloudBase gives a
                    mini-program call (TCB_SOURCE wx_client, WX_CLIENTIP = the socket peer);
                    X-Dev-Openid becomes WX_OPENID
ANY  /http/<name>   an SCF function URL: method, headers, raw body, and the socket peer in
                    x-scf-remote-addr (whatever the client sent there is replaced)
POST /timer/<name>  an SCF timer trigger: {"Type": "Timer", "TriggerName", "Time", "Message"}
                    with a timer's context (TCB_SOURCE wx_trigger, no caller)
GET  /console/      the operator console (static files)

The shapes are the documented ones (tests/events/platform/ holds the copies, with their
sources). The dev headers are honoured only when RETAIL_ENV=dev; otherwise they are dropped
here and ignored by the runtime as well.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from retail.common.errors import HTTP_STATUS, ErrorCode

from .functions import FunctionRegistry

DEV_APPID = "wx-dev-appid"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


def error_reply(code: ErrorCode, message: str) -> Reply:
    payload = json.dumps({"code": code.value, "message": message}).encode()
    return Reply(HTTP_STATUS[code], payload)


def envelope_reply(answer: dict[str, Any]) -> Reply:
    status = HTTP_STATUS.get(ErrorCode(answer.get("code", "INTERNAL")), 500)
    return Reply(status, json.dumps(answer, ensure_ascii=False).encode())


def _local_route(dev: bool, method: str, prefix: str, path: str) -> Reply | None:
    """Routes that are not cloud functions: the console's files, and in dev the sandbox."""
    if method == "GET" and prefix == "console":
        from .console_routes import console_file

        return console_file(path)
    if dev and method == "POST" and prefix == "dev":
        from .sandbox_routes import sandbox_route

        return sandbox_route(path)
    if dev and method == "GET" and prefix == "dev":
        from .sandbox_routes import journal_route

        return journal_route(path)
    return None


def dispatch(
    registry: FunctionRegistry,
    dev: bool,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    peer: str = "127.0.0.1",
) -> Reply:
    parts = path.split("?", 1)[0].strip("/").split("/")
    local = _local_route(dev, method, parts[0], path)
    if local is not None:
        return local
    if len(parts) != 2 or parts[0] not in ("fn", "http", "timer"):
        return error_reply(ErrorCode.NOT_FOUND, f"no route {path}")
    kind, name = parts
    handler = registry.handler(name)
    if handler is None:
        return error_reply(ErrorCode.NOT_FOUND, f"no function named {name!r}")
    context = {
        "request_id": uuid.uuid4().hex,
        "function_name": name,
        "namespace": "dev",
        "time_limit_in_ms": 60_000,
    }
    if kind == "http":
        return _http_trigger(handler, context, method, path, headers, body, dev, peer)
    if method != "POST":
        return error_reply(ErrorCode.NOT_FOUND, f"{kind} routes take POST")
    if kind == "timer":
        event = {
            "Type": "Timer",
            "TriggerName": name,
            "Time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Message": body.decode("utf-8", "replace"),
        }
        context["environment"] = json.dumps(TIMER_ENVIRONMENT)
        return envelope_reply(handler(event, context))
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return error_reply(ErrorCode.INVALID_ARGUMENT, "the body is not JSON")
    if not isinstance(data, dict):
        return error_reply(ErrorCode.INVALID_ARGUMENT, "the body must be a JSON object")
    context["environment"] = json.dumps(_cloudbase_environment(headers, dev, peer))
    if dev and headers.get("x-dev-operator"):
        context["RETAIL_DEV_OPERATOR"] = headers["x-dev-operator"]
    return envelope_reply(handler(data, context))


# What a CloudBase timer's invocation carries: its source, and no caller.
TIMER_ENVIRONMENT = {
    "TCB_CONTEXT_KEYS": "TCB_ENV,TCB_SOURCE",
    "TCB_ENV": "dev",
    "TCB_SOURCE": "wx_trigger",
    "SCF_NAMESPACE": "dev",
}


def _cloudbase_environment(headers: dict[str, str], dev: bool, peer: str) -> dict[str, str]:
    """What CloudBase puts in a mini-program call's context (the shape of a captured one:
    tests/events/platform/cloudbase_call_context.json)."""
    env = {
        "WX_CONTEXT_KEYS": "WX_CLIENTIP,WX_APPID",
        "WX_CLIENTIP": peer,
        "WX_APPID": DEV_APPID,
        "TCB_CONTEXT_KEYS": "TCB_ENV,TRIGGER_SRC,TCB_SOURCE",
        "TCB_ENV": "dev",
        "TRIGGER_SRC": "tcb",
        "TCB_SOURCE": "wx_client",
        "SCF_NAMESPACE": "dev",
    }
    if dev and headers.get("x-dev-openid"):
        env["WX_CONTEXT_KEYS"] += ",WX_OPENID"
        env["WX_OPENID"] = headers["x-dev-openid"]
    return env


def _http_trigger(
    handler: Any,
    context: dict[str, Any],
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    dev: bool,
    peer: str,
) -> Reply:
    """A function URL event (SCF docs, 函数 URL: the API gateway shape without
    requestContext, isBase64Encoded and the *Parameters fields)."""
    if not dev:
        headers = {k: v for k, v in headers.items() if not k.startswith("x-dev-")}
    route, _, query = path.partition("?")
    event = {
        "body": body.decode("utf-8", "replace"),
        "headers": {**headers, "x-scf-remote-addr": peer},
        "httpMethod": method,
        "path": route,
        "queryString": dict(p.split("=", 1) for p in query.split("&") if "=" in p),
    }
    result = handler(event, context)
    if isinstance(result, dict) and "statusCode" in result:
        return Reply(
            int(result["statusCode"]),
            str(result.get("body", "")).encode(),
            {str(k): str(v) for k, v in (result.get("headers") or {}).items()},
        )
    return envelope_reply(result)
