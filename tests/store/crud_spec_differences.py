"""Where the embedded engine answers a CRUD specification test differently from MongoDB,
and why that is left (README: MongoDB). Each entry must still fail: one that passes is
stale and fails the run."""

from __future__ import annotations

import re

DIFFERENCES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"dots_and_dollars: "),
        "field names with '.' or a leading '$' are refused before the write (bson's check, "
        "MongoDB's rule before 5.0), where MongoDB 5.0+ stores most of them: a refusal, never "
        "a different write; every field name the code writes is its own, user text goes into "
        "values only",
    ),
    (
        re.compile(r"create-null-ids: "),
        "the tests find the document with the $type query operator, which the engine does not "
        "have (it refuses unknown operators with OperationFailure); the code never uses it",
    ),
]


def difference(case_id: str) -> str | None:
    for pattern, reason in DIFFERENCES:
        if pattern.search(case_id):
            return reason
    return None
