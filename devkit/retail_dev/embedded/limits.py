"""MongoDB's limits on what it stores, enforced here with pymongo's exceptions, so code that
works on one machine works on MongoDB (docs/decisions/0008):

- a document is at most 16 MiB of BSON (`DocumentTooLarge`);
- integers are int64 at most (`OverflowError`, as `bson.encode` raises it);
- no field name starts with `$` or contains `.` (`InvalidDocument`). MongoDB 5.0+ stores some
  such names but cannot query or update them by path; we refuse them everywhere.
"""

from __future__ import annotations

from typing import Any

import bson
from bson.errors import InvalidDocument
from pymongo.errors import DocumentTooLarge

from .codec import dumps

MAX_BSON_SIZE = 16 * 1024 * 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# JSON text is never shorter than an eighth of the same document's BSON (the worst case is a
# long array of small ints: "1," against a type byte, a 7-digit index key and an int32).
BSON_PER_JSON_BYTE = 8


def _check(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (key.startswith("$") or "." in key):
                raise InvalidDocument(f"key {key!r} must not start with '$' or contain '.'")
            _check(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check(item)
    elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise OverflowError("MongoDB can only handle up to 8-byte ints")


def stored_text(document: dict[str, Any]) -> str:
    """The document's stored form, after MongoDB's checks."""
    _check(document)
    text = dumps(document)
    if len(text) * BSON_PER_JSON_BYTE > MAX_BSON_SIZE:
        size = len(bson.encode(document))
        if size > MAX_BSON_SIZE:
            raise DocumentTooLarge(
                f"BSON document too large ({size} bytes) - the connected server supports "
                f"BSON document sizes up to {MAX_BSON_SIZE} bytes."
            )
    return text
