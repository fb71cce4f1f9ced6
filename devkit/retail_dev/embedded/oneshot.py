"""The hot path: a conditional update of one document found by _id as ONE SQLite statement.

SQLite calls back into Python (a function registered on each connection) to match and
rewrite the document while that UPDATE statement holds the write lock, so read, match and
write are one atomic step without BEGIN / SELECT / COMMIT round trips. It applies only while
the collection has no secondary index (index tables need more statements); the statement
also checks the schema version this process planned with, and every doubt falls back to the
general path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymongo.results import UpdateResult

from .codec import index_value, loads, normalise
from .indexes import lookup_values, touches_indexes
from .limits import stored_text
from .matching import Filter, matches
from .updating import apply_update, transform, upsert_seed, with_id

if TYPE_CHECKING:
    from .collection import EmbeddedCollection


class SchemaChanged(Exception):
    """A one-statement write named a collection dropped since the schema was read (SQLite
    checks the table when it prepares the statement, before the statement's own schema
    guard): the caller takes the general path, which re-reads the schema."""


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
    upserted: bool = False

    @property
    def matched(self) -> bool:
        return self.after is not None and not self.upserted

    def as_update_result(self) -> UpdateResult:
        """What update_one answers for this outcome, as pymongo's own result."""
        if self.upserted:
            return UpdateResult(
                {
                    "n": 1,
                    "nModified": 0,
                    "upserted": (self.after or {})["_id"],
                    "updatedExisting": False,
                },
                True,
            )
        return UpdateResult(
            {
                "n": int(self.matched),
                "nModified": int(bool(self.after_text)),
                "updatedExisting": self.matched,
            },
            True,
        )


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
            new_text = stored_text(doc)
        except Exception as exc:  # noqa: BLE001 - re-raised by the caller once SQLite returns
            job.error = exc
            return None
        job.after = doc
        job.after_text = None if new_text == text else new_text
        return job.after_text

    return hook


def rewrite_by_id(
    collection: EmbeddedCollection,
    filter: Filter,
    change: dict[str, Any],
    replace: bool,
    upsert: bool,
) -> Rewrite | None:
    """The settled outcome of the one-statement path, or None: take the general path."""
    if not isinstance(filter, dict) or "_id" not in filter:
        return None
    ids = lookup_values(filter["_id"])
    database = collection.database
    if (
        ids is None
        or len(ids) != 1
        or not database.has_collection(collection.name)
        or touches_indexes(database.index_specs(collection.name), change, replace)
    ):
        return None
    # The statement finds the row by its _id; only the rest of the filter is left to check.
    rest = {key: cond for key, cond in filter.items() if key != "_id"}
    job: Rewrite = database.local_rewrite(Rewrite(rest, change, replace))
    planned_with = database.schema_version
    try:
        database.write_statement(collection.rewrite_sql, (ids[0], planned_with))
    except SchemaChanged:
        return None
    if job.error is not None:
        raise job.error
    if job.matched:
        return job
    database.refresh(database.connection())
    if database.schema_version != planned_with:
        return None
    if not upsert:
        return job
    if job.rowid is None and not database.index_specs(collection.name):
        return _insert_new(collection, filter, job, planned_with)
    return None


def _insert_new(
    collection: EmbeddedCollection, filter: Filter, job: Rewrite, planned_with: int
) -> Rewrite | None:
    """An upsert that found no document inserts it in one statement, guarded by the schema
    version (a new index would need entries); a concurrent insert sends it the general way."""
    seed = upsert_seed(filter)
    if job.replace:
        doc = with_id({**({"_id": seed["_id"]} if "_id" in seed else {}), **normalise(job.change)})
    else:
        doc = with_id(apply_update(seed, job.change, inserting=True))
    try:
        inserted = collection.database.write_statement(
            collection.insert_sql, (index_value(doc["_id"]), stored_text(doc), planned_with)
        ).rowcount
    except (sqlite3.IntegrityError, SchemaChanged):
        return None
    if not inserted:
        return None
    job.after, job.upserted = doc, True
    return job
