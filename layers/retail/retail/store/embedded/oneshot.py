"""The hot path: a conditional update of one document found by _id as ONE SQLite statement.

SQLite calls back into Python (a function registered on each connection) to match and
rewrite the document while that UPDATE statement holds the write lock, so read, match and
write are one atomic step without BEGIN / SELECT / COMMIT round trips. It applies only while
the collection has no secondary index (index tables need more statements); the statement
also checks the schema version this process planned with, and every doubt falls back to the
general path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .codec import dumps, loads
from .matching import Filter, matches
from .updating import transform


@dataclass
class Rewrite:
    query: Filter
    change: dict[str, Any]
    replace: bool
    rowid: int | None = None
    before: str | None = None
    after: dict[str, Any] | None = None
    after_text: str | None = None
    error: Exception | None = None

    @property
    def matched(self) -> bool:
        return self.after is not None


def one_statement_hook(local: Any) -> Callable[[int, str], str | None]:
    """retail_rewrite(rowid, doc): the new text, or NULL when the row must stay as it is."""

    def hook(rowid: int, text: str) -> str | None:
        job: Rewrite = local.rewrite
        if job.rowid == rowid:  # SET asks again after WHERE: same answer
            return job.after_text
        job.rowid, job.before = rowid, text
        try:
            doc = loads(text)
            if not matches(doc, job.query):
                return None
            transform(doc, job.change, job.replace)
            new_text = dumps(doc)
        except Exception as exc:  # noqa: BLE001 - re-raised by the caller once SQLite returns
            job.error = exc
            return None
        job.after = doc
        job.after_text = None if new_text == text else new_text
        return job.after_text

    return hook
