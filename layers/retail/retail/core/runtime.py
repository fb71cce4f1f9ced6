"""`cloud_function`: the one wrapper every handler goes through.

It recognises the trigger, resolves the caller, validates the request with the function's
strict pydantic model, runs the handler, and answers `{"code": "OK", "data": ...}` or
`{"code": <ErrorCode>, "message": ...}` (as an SCF integrated HTTP response for HTTP
triggers). Unexpected exceptions are logged with the request id and traceback and answered
INTERNAL with nothing internal in the message.
"""

from __future__ import annotations

import json
import os
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import (
    HTTP_STATUS,
    ErrorCode,
    InvalidArgument,
    RetailError,
    Unauthenticated,
)
from retail.common.logs import function_name, log, request_id
from retail.common.metrics import record_call
from retail.common.ratelimit import check_rate

from .events import Invocation, Trigger, detect_trigger, parse_event
from .identity import Caller, resolve_caller

Auth = Literal["user", "optional", "operator", "timer", "webhook"]
Verifier = Callable[[bytes, dict[str, str]], bool]
Handler = Callable[[Any, Caller], Any]


def cloud_function(
    request: type[BaseModel],
    *,
    response: type[BaseModel] | None = None,
    auth: Auth = "user",
    verify: Verifier | None = None,
) -> Callable[[Handler], Callable[[Any, Any], Any]]:
    """Wrap `handler(request, caller)` as SCF's `main_handler(event, context)`.

    auth: "user" needs an openid, "optional" runs anonymous too, "operator" needs an operator
    identity (roles are checked by the domain), "timer" accepts only timer triggers, "webhook"
    accepts only HTTP calls whose raw body and headers pass `verify` (a partner's signature).
    """

    def wrap(handler: Handler) -> Callable[[Any, Any], Any]:
        def main_handler(event: Any, context: Any = None) -> Any:
            name = _function_name(handler, context)
            rid = (context or {}).get("request_id") if isinstance(context, dict) else None
            tokens = (request_id.set(rid or uuid.uuid4().hex), function_name.set(name))
            started = time.perf_counter()
            trigger = detect_trigger(event)
            try:
                invocation = parse_event(event, trigger)
                answer = _run(handler, request, auth, verify, invocation, context)
            except RetailError as exc:
                answer = {"code": exc.code.value, "message": exc.message}
                if exc.details:
                    answer["details"] = exc.details
            except Exception:  # noqa: BLE001 - the one place unexpected faults are answered
                log("function_crashed", "ERROR", traceback=traceback.format_exc())
                answer = {
                    "code": ErrorCode.INTERNAL.value,
                    "message": f"internal error; request id {request_id.get()}",
                }
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            log("function_answered", answer=answer["code"], trigger=trigger.value, ms=elapsed_ms)
            record_call(name, answer["code"], elapsed_ms, utcnow())
            request_id.reset(tokens[0])
            function_name.reset(tokens[1])
            return _deliver(answer, trigger)

        main_handler.request_model = request  # type: ignore[attr-defined]
        main_handler.response_model = response  # type: ignore[attr-defined]
        main_handler.auth = auth  # type: ignore[attr-defined]
        return main_handler

    return wrap


def _function_name(handler: Handler, context: Any) -> str:
    """SCF's name for this function, else the folder its index.py sits in."""
    if isinstance(context, dict) and context.get("function_name"):
        return str(context["function_name"])
    code = getattr(handler, "__code__", None)
    return os.path.basename(os.path.dirname(code.co_filename)) if code else handler.__name__


def _run(
    handler: Handler,
    request: type[BaseModel],
    auth: Auth,
    verify: Verifier | None,
    invocation: Invocation,
    context: Any,
) -> dict[str, Any]:
    if invocation.ignored_identity_keys:
        log("client_identity_ignored", "WARNING", keys=invocation.ignored_identity_keys)
    if auth == "timer" and invocation.trigger is not Trigger.TIMER:
        raise Unauthenticated("this function runs on its timer only")
    if auth == "webhook" and not (
        invocation.trigger is Trigger.HTTP
        and verify is not None
        and verify(invocation.raw_body.encode("utf-8"), invocation.headers)
    ):
        raise Unauthenticated("the notification's signature does not verify")
    caller = resolve_caller(invocation, context)
    if auth == "user":
        caller.require_openid()
    elif auth == "operator":
        caller.require_operator()
    try:
        command = request.model_validate(invocation.data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "problem": err["msg"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise InvalidArgument(
            "the request does not match the function's schema", problems=problems
        ) from None
    if auth in ("user", "optional") and invocation.trigger is not Trigger.TIMER:
        check_rate(database(), function_name.get(), caller.openid, caller.client_ip, utcnow())
    result = handler(command, caller)
    if isinstance(result, BaseModel):
        data = result.model_dump(mode="json")
    else:
        data = json.loads(json.dumps(result, default=_json_default))
    return {"code": ErrorCode.OK.value, "data": data}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _deliver(answer: dict[str, Any], trigger: Trigger) -> Any:
    if trigger is not Trigger.HTTP:
        return answer
    status = HTTP_STATUS[ErrorCode(answer["code"])]
    return {
        "isBase64Encoded": False,
        "statusCode": status,
        "headers": {"Content-Type": "application/json; charset=utf-8"},
        "body": json.dumps(answer, ensure_ascii=False),
    }
