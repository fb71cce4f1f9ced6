"""JSON log lines (one per event, indexable by Tencent CLS) with personal data masked.

Every line carries the request id and function name of the invocation it belongs to.
Phone numbers are masked wherever they appear; names, addresses, tokens and secrets are
masked by field name, at any depth.
"""

from __future__ import annotations

import json
import re
import sys
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

request_id: ContextVar[str] = ContextVar("request_id", default="-")
function_name: ContextVar[str] = ContextVar("function_name", default="-")

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_SECRET_FIELDS = {
    "token",
    "session_token",
    "session_key",
    "secret",
    "password",
    "authorization",
    "apiv3_key",
    "private_key",
    "js_code",
    "paysign",
    "signature",
}
_NAME_FIELDS = {"name", "username", "user_name", "consignee", "real_name"}
_ADDRESS_FIELDS = {"address", "detailinfo", "detail_info", "street"}
_PHONE_FIELDS = {"phone", "telnumber", "tel_number", "mobile", "phone_number"}


def mask_phone(text: str) -> str:
    return _PHONE.sub(r"\1****\2", text)


def mask_name(value: str) -> str:
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def _mask_field(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in _SECRET_FIELDS or lowered.endswith(("_secret", "_token", "_key")):
        return "***" if value else value
    if isinstance(value, str):
        if lowered in _NAME_FIELDS:
            return mask_name(value)
        if lowered in _ADDRESS_FIELDS:
            return value[:6] + "***" if len(value) > 6 else "***"
        if lowered in _PHONE_FIELDS:
            return value[:3] + "****" + value[-4:] if len(value) >= 7 else "***"
    return mask(value)


def mask(value: Any) -> Any:
    """A copy of `value` safe to log."""
    if isinstance(value, dict):
        return {k: _mask_field(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return mask_phone(value)
    return value


LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}


def _threshold() -> int:
    from .settings import settings

    try:
        return LEVELS[settings().RETAIL_LOG_LEVEL]
    except Exception:  # noqa: BLE001 - a bad setting must not silence the error being logged
        return LEVELS["INFO"]


def log(event: str, level: str = "INFO", **fields: Any) -> None:
    """Write one JSON line, a past-tense event name and its masked fields, unless its level
    is below RETAIL_LOG_LEVEL."""
    if LEVELS.get(level, 40) < _threshold():
        return
    line = {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "level": level,
        "event": event,
        "request_id": request_id.get(),
        "function": function_name.get(),
        **mask(fields),
    }
    sys.stdout.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
