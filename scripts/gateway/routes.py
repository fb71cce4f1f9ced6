"""Turning a local HTTP request into the event and context SCF would hand the function.

POST /fn/<name>     wx.cloud.callFunction: body = data; X-Dev-Openid becomes WX_OPENID
ANY  /http/<name>   an SCF HTTP trigger (function URL): method, headers, raw body
POST /timer/<name>  an SCF timer trigger: {"Type": "timer", "TriggerName", "Time", "Message"}
GET  /console/      the operator console (static files)

The dev headers are honoured only when RETAIL_ENV=dev; otherwise they are dropped here and
ignored by the runtime as well.
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
    return None


def dispatch(
    registry: FunctionRegistry,
    dev: bool,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
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
    context = {"request_id": uuid.uuid4().hex, "function_name": name, "namespace": "dev"}
    if kind == "http":
        return _http_trigger(handler, context, method, path, headers, body, dev)
    if method != "POST":
        return error_reply(ErrorCode.NOT_FOUND, f"{kind} routes take POST")
    if kind == "timer":
        event = {
            "Type": "timer",
            "TriggerName": name,
            "Message": body.decode("utf-8", "replace"),
            "Time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return envelope_reply(handler(event, context))
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return error_reply(ErrorCode.INVALID_ARGUMENT, "the body is not JSON")
    if not isinstance(data, dict):
        return error_reply(ErrorCode.INVALID_ARGUMENT, "the body must be a JSON object")
    context["environment"] = json.dumps(_cloudbase_environment(headers, dev))
    if dev and headers.get("x-dev-operator"):
        context["RETAIL_DEV_OPERATOR"] = headers["x-dev-operator"]
    return envelope_reply(handler(data, context))


def _cloudbase_environment(headers: dict[str, str], dev: bool) -> dict[str, str]:
    env = {
        "WX_CONTEXT_KEYS": "WX_APPID,WX_CLIENTIP",
        "WX_APPID": DEV_APPID,
        "WX_CLIENTIP": headers.get("x-forwarded-for", "127.0.0.1"),
        "TCB_ENV": "dev",
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
) -> Reply:
    if not dev:
        headers = {k: v for k, v in headers.items() if not k.startswith("x-dev-")}
    route, _, query = path.partition("?")
    event = {
        "httpMethod": method,
        "path": route,
        "headers": headers,
        "queryString": dict(p.split("=", 1) for p in query.split("&") if "=" in p),
        "body": body.decode("utf-8", "replace"),
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": context["request_id"],
            "httpMethod": method,
            "sourceIp": headers.get("x-forwarded-for", "127.0.0.1"),
        },
    }
    result = handler(event, context)
    if isinstance(result, dict) and "statusCode" in result:
        return Reply(
            int(result["statusCode"]),
            str(result.get("body", "")).encode(),
            {str(k): str(v) for k, v in (result.get("headers") or {}).items()},
        )
    return envelope_reply(result)
