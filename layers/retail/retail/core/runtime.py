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
    Unavailable,
    error_fields,
)
from retail.common.logs import function_name, log, request_id
from retail.common.metrics import record_call
from retail.common.models import PlainText, is_text
from retail.common.operator import Operator
from retail.common.ratelimit import check_rate
from retail.common.settings import settings
from retail.store import ANSWER_MARGIN_SECONDS, store_deadline

from .events import IDENTITY_KEYS, Invocation, Trigger, detect_trigger, parse_event
from .identity import Caller, caller_key, refused_caller_ip, resolve_caller
from .platform import Platform, platform_of

Auth = Literal["user", "optional", "sign_in", "operator", "timer", "webhook"]
# A webhook's check of the request as it came: raw body, headers, query (a partner's signature).
Verifier = Callable[[bytes, dict[str, str], dict[str, str]], bool]

Handler = Callable[[Any, Caller], Any]


def cloud_function(
    request: type[BaseModel],
    *,
    response: type[BaseModel] | None = None,
    auth: Auth = "user",
    verify: Verifier | None = None,
    notes_visitor: bool = True,
) -> Callable[[Handler], Callable[[Any, Any], Any]]:
    """Wrap `handler(request, caller)` as SCF's `main_handler(event, context)`.

    auth: "user" needs an openid, "optional" runs anonymous too, "sign_in" runs anonymous
    for the console only (an operator's sign-in: the CloudBase rules keep the mini-program
    from calling it), "operator" needs an operator
    identity (roles are checked by the domain), "timer" accepts only timer triggers, "webhook"
    accepts only HTTP calls whose raw body and headers pass `verify` (a partner's signature).
    notes_visitor: a caller the platform names becomes a user once answered (users.visitors);
    off only for erasure, after which the caller must not be re-created.
    """

    def wrap(handler: Handler) -> Callable[[Any, Any], Any]:
        def main_handler(event: Any, context: Any = None) -> Any:
            platform = platform_of(context)
            name = platform.function_name or _folder_name(handler)
            tokens = (
                request_id.set(platform.request_id or uuid.uuid4().hex),
                function_name.set(name),
            )
            started = time.perf_counter()
            trigger = detect_trigger(event, platform)
            preflight = _preflight(event, trigger, auth)
            if preflight is not None:
                request_id.reset(tokens[0])
                function_name.reset(tokens[1])
                return preflight
            caller: Caller | None = None
            try:
                invocation = parse_event(event, trigger, platform)
                caller = resolve_caller(invocation, platform)
                with store_deadline(_seconds_left(platform, started)):
                    answer = _run(handler, request, auth, verify, invocation, caller)
                    if notes_visitor and caller.openid:
                        _note_visitor(caller)
            except RetailError as exc:
                answer = {"code": exc.code.value, "message": exc.message}
                if exc.details:
                    answer["details"] = exc.details
            except Exception as exc:  # noqa: BLE001 - the one place unexpected faults are answered
                fields = error_fields(exc)
                log("function_crashed", "ERROR", traceback=traceback.format_exc(), **fields)
                answer = {
                    "code": ErrorCode.INTERNAL.value,
                    "message": f"internal error; request id {request_id.get()}",
                }
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            log(
                "function_answered",
                answer=answer["code"],
                ms=elapsed_ms,
                **_trace(event, trigger, platform, caller),
            )
            with store_deadline(_seconds_left(platform, started)):  # a flush may be due
                record_call(name, answer["code"], elapsed_ms, utcnow())
            request_id.reset(tokens[0])
            function_name.reset(tokens[1])
            return _deliver(answer, trigger, auth)

        main_handler.request_model = request  # type: ignore[attr-defined]
        main_handler.response_model = response  # type: ignore[attr-defined]
        main_handler.auth = auth  # type: ignore[attr-defined]
        return main_handler

    return wrap


def _folder_name(handler: Handler) -> str:
    """The folder the handler's index.py sits in: the function's name where SCF gives none."""
    code = getattr(handler, "__code__", None)
    return os.path.basename(os.path.dirname(code.co_filename)) if code else handler.__name__


def _trace(
    event: Any, trigger: Trigger, platform: Platform, caller: Caller | None
) -> dict[str, Any]:
    """Who called, from where and how, for the log line: the trigger and source as the
    platform gave them, a pseudonymous caller key and the client IP."""
    return {
        "trigger": trigger.value,
        "source": ",".join(platform.source) or None,
        "caller": caller_key(caller.openid, caller.operator) if caller else None,
        "ip": caller.client_ip if caller else refused_caller_ip(event, trigger, platform),
    }


def _seconds_left(platform: Platform, started: float) -> float | None:
    """What the store may use of the invocation: SCF's time limit (its context says it) less
    the time gone and a margin to answer. None when nothing says (the dev gateway)."""
    if platform.time_limit_ms is None:
        return None
    gone = time.perf_counter() - started
    return platform.time_limit_ms / 1000 - gone - ANSWER_MARGIN_SECONDS


def _run(
    handler: Handler,
    request: type[BaseModel],
    auth: Auth,
    verify: Verifier | None,
    invocation: Invocation,
    caller: Caller,
) -> dict[str, Any]:
    if invocation.forged_platform_keys:
        log("platform_fields_forged", "WARNING", forged=invocation.forged_platform_keys)
    _admit(auth, verify, invocation, caller)
    command = _validate(request, invocation.data)
    if auth not in ("timer", "webhook"):
        check_rate(database(), function_name.get(), caller.rate_key, caller.client_ip, utcnow())
    result = handler(command, caller)
    if isinstance(result, PlainText):
        return {"code": ErrorCode.OK.value, "text": result.text}
    if isinstance(result, BaseModel):
        data = result.model_dump(mode="json")
    else:
        data = json.loads(json.dumps(result, default=_json_default))
    return {"code": ErrorCode.OK.value, "data": data}


def _note_visitor(caller: Caller) -> None:
    """A platform identity that got an answer is a user from now on (users.visitors). Its
    work is done by then: a store that stops answering (or the invocation's deadline,
    reached after the handler) leaves the note for the next call, not the answer unsaid."""
    from retail.users.visitors import note_visitor

    assert caller.openid is not None
    try:
        note_visitor(database(), caller.openid, appid=caller.appid, unionid=caller.unionid)
    except Unavailable:
        log("visitor_not_noted", "WARNING")


def _admit(auth: Auth, verify: Verifier | None, invocation: Invocation, caller: Caller) -> None:
    """Refuse a call that came the wrong way, or without the identity the function needs."""
    if auth == "timer" and invocation.trigger is not Trigger.TIMER:
        raise Unauthenticated("this function runs on its timer only")
    if auth == "webhook" and not (
        invocation.trigger is Trigger.HTTP
        and verify is not None
        and verify(invocation.raw_body.encode("utf-8"), invocation.headers, invocation.query)
    ):
        raise Unauthenticated("the notification's signature does not verify")
    if auth == "user":
        caller.require_openid()
    elif auth == "operator":
        _confirm(caller.require_operator())


def operator_of(caller: Caller) -> Operator | None:
    """The operator behind a call to a function shoppers call too (the console reads the
    catalogue through them), with the account's changes applied to its token as for any
    operator function; None for shoppers and visitors."""
    if caller.operator is not None:
        _confirm(caller.operator)
    return caller.operator


def _confirm(operator: Operator) -> None:
    if operator.token_version is not None:
        from retail.operators.sessions import confirm_operator

        confirm_operator(operator)


def _unencodable(value: Any, path: str = "(body)") -> str | None:
    """The path of the first text, value or key at any depth, that is not valid Unicode (a
    lone surrogate, which JSON's \\ud800 escapes can carry): no store can hold it."""
    if isinstance(value, str):
        return None if is_text(value) else path
    if isinstance(value, dict):
        for key, item in value.items():
            if not is_text(str(key)):
                return f"{path}.<a key>"
            found = _unencodable(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unencodable(item, f"{path}.{index}")
            if found:
                return found
    return None


def _validate(request: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    spoofed = sorted((IDENTITY_KEYS & data.keys()) - request.model_fields.keys())
    if spoofed:
        log("client_identity_refused", "WARNING", keys=spoofed)
    broken = _unencodable(data)
    if broken is not None:
        problem = {"field": broken, "problem": "not valid Unicode text"}
        raise InvalidArgument(
            "the request does not match the function's schema", problems=[problem]
        )
    try:
        return request.model_validate(data)
    except ValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "problem": err["msg"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise InvalidArgument(
            "the request does not match the function's schema", problems=problems
        ) from None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _deliver(answer: dict[str, Any], trigger: Trigger, auth: Auth) -> Any:
    if trigger is not Trigger.HTTP:
        return answer
    status = HTTP_STATUS[ErrorCode(answer["code"])]
    if "text" in answer:
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        return {
            "isBase64Encoded": False,
            "statusCode": status,
            "headers": headers,
            "body": answer["text"],
        }
    return {
        "isBase64Encoded": False,
        "statusCode": status,
        "headers": {"Content-Type": "application/json; charset=utf-8", **_cors(auth)},
        "body": json.dumps(answer, ensure_ascii=False),
    }


def _preflight(event: Any, trigger: Trigger, auth: Auth) -> dict[str, Any] | None:
    """A browser's CORS preflight: answered here, nothing runs."""
    if trigger is not Trigger.HTTP or auth == "webhook":
        return None
    if str(event.get("httpMethod", "")).upper() != "OPTIONS":
        return None
    return {"isBase64Encoded": False, "statusCode": 204, "headers": _cors(auth), "body": ""}


def _cors(auth: Auth) -> dict[str, str]:
    """The console, served from RETAIL_CONSOLE_ORIGIN, may call the function URLs (the
    operator routes and the catalogue it shows); a partner's webhook is no browser's."""
    origin = settings().RETAIL_CONSOLE_ORIGIN if auth != "webhook" else None
    if not origin:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
