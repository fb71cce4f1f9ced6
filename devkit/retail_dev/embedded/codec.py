"""How documents are stored: JSON text with tagged dates and ObjectIds, and BSON's ordering.

MongoDB keeps datetimes at millisecond precision and always in UTC; we do the same so a
document reads back identically from either engine. Values are compared by BSON type
bracket first (null < numbers < strings < objects < arrays < ObjectId < booleans < dates),
so `1 == 1.0` but `True != 1`, exactly as on MongoDB.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from bson import ObjectId
from bson.errors import InvalidDocument

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class _Missing:
    """A path that resolves to nothing; sorts and matches like null."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def to_millis(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def from_millis(millis: int) -> datetime:
    return EPOCH + timedelta(milliseconds=millis)


def normalise(value: Any) -> Any:
    """The value as MongoDB would give it back (dates truncated to ms, aware UTC; a `str` or
    `int` enum member as the plain string or number it is stored as, so an index's partial
    filter and a query see in a written document what they see once it is read back)."""
    if isinstance(value, datetime):
        return from_millis(to_millis(value))
    if isinstance(value, str) and type(value) is not str:
        return str.__str__(value)
    if isinstance(value, int) and type(value) not in (int, bool):  # an IntEnum member
        return int(value)
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$date": to_millis(value)}
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    raise InvalidDocument(f"cannot encode object: {value!r}, of type: {type(value)}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return from_millis(obj["$date"])
        if "$oid" in obj:
            return ObjectId(obj["$oid"])
    return obj


_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder(object_hook=_hook)


def dumps(doc: Any) -> str:
    try:
        return _ENCODER.encode(doc)
    except TypeError as exc:  # non-string keys
        raise InvalidDocument(f"documents must have only string keys: {exc}") from exc


def loads(text: str) -> Any:
    return _DECODER.decode(text)


def type_rank(value: Any) -> int:
    if value is None or value is MISSING:
        return 1
    if isinstance(value, bool):
        return 8
    if isinstance(value, (int, float)):
        return 2
    if isinstance(value, str):
        return 3
    if isinstance(value, dict):
        return 4
    if isinstance(value, (list, tuple)):
        return 5
    if isinstance(value, ObjectId):
        return 7
    if isinstance(value, datetime):
        return 9
    raise InvalidDocument(f"cannot compare value of type {type(value).__name__}")


def sort_key(value: Any) -> tuple[int, Any]:
    """A key that orders and equates values as BSON comparison does."""
    rank = type_rank(value)
    if rank == 1:
        return (1, 0)
    if rank == 4:
        return (4, tuple((k, sort_key(v)) for k, v in value.items()))
    if rank == 5:
        return (5, tuple(sort_key(v) for v in value))
    if rank == 7:
        return (7, value.binary)
    if rank == 9:
        return (9, to_millis(value))
    return (rank, value)


DATE_TAG, DATE_TAG_END = "\x00d:", "\x00d;"  # every date key sorts between these two


def index_value(value: Any) -> Any:
    """One scalar SQLite can compare and put in a UNIQUE index, distinct per BSON value."""
    if value is None or value is MISSING:
        return "\x00null"
    if isinstance(value, bool):
        return "\x00b:1" if value else "\x00b:0"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return "\x00s:" + value if value.startswith("\x00") else value
    if isinstance(value, datetime):
        return f"{DATE_TAG}{to_millis(value):+021d}"
    if isinstance(value, ObjectId):
        return "\x00o:" + str(value)
    return "\x00j:" + dumps(value)
