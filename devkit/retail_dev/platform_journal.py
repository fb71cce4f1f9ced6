"""The dev platform journal: every request the back end sent to the local WeChat and WeChat
Pay, kept in the store so that every gateway worker, and a restart, sees one list
(`GET /dev/platform/calls`, docs/contract.md). What WeChat received is what a developer
checks a feature against: the shipping information of an order, a content check, a message.

A call is recorded as the API received it, parsed, without the access token or any secret.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from retail.common.database import database

JOURNAL = "sandbox_platform_calls"
_SECRET_PARAMS = frozenset({"access_token", "secret", "js_code"})
_SECRET_FIELDS = frozenset({"secret"})


def record(
    method: str, path: str, query: dict[str, str], body: Any, status: int, answer: Any
) -> None:
    """One call as the platform saw it; `answer` is what it said back (its errcode, code)."""
    journal = database()[JOURNAL]
    journal.insert_one(
        {
            "method": method,
            "path": path,
            "query": {k: v for k, v in query.items() if k not in _SECRET_PARAMS},
            "body": _without_secrets(body),
            "status": status,
            "answer": answer,
            "at": datetime.now(timezone.utc),
        }
    )


def calls(prefix: str | None = None) -> list[dict[str, Any]]:
    """Every recorded call, oldest first; only those whose path starts with `prefix`."""
    journal = database()[JOURNAL]
    found = journal.find({}, sort=[("at", 1), ("_id", 1)])  # _id: one instant's order
    return [
        {**{k: v for k, v in call.items() if k != "_id"}, "at": call["at"].isoformat()}
        for call in found
        if prefix is None or call["path"].startswith(prefix)
    ]


def _without_secrets(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _without_secrets(v) for k, v in body.items() if k not in _SECRET_FIELDS}
    return body
