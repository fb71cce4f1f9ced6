"""bulk_write on the embedded engine: many single-document writes in one round trip, as
MongoDB runs them, here in one transaction with a savepoint per write."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from pymongo import DeleteMany, DeleteOne, InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DocumentTooLarge, InvalidOperation, OperationFailure
from pymongo.results import BulkWriteResult

from .rows import delete_row, insert_row, rewrite_row
from .updating import give_id, validate_update

if TYPE_CHECKING:
    from .collection import EmbeddedCollection


def run_bulk(collection: EmbeddedCollection, requests: list[Any], ordered: bool) -> BulkWriteResult:
    """Many single-document writes in one round trip, as MongoDB runs them: each on its
    own (a refused one leaves the others), in order; an ordered batch stops at its first
    refusal. Here they share one transaction, so a batch costs one commit. Runs InsertOne,
    UpdateOne, DeleteOne and DeleteMany without per-request options; anything else is a
    TypeError, never a write done differently (an UpdateMany that fails part-way keeps its
    earlier documents on MongoDB, which one transaction would not)."""
    requests = list(requests)
    if not requests:
        raise InvalidOperation("No operations to execute")
    for request in requests:
        _runnable(request)
    counts = dict.fromkeys(("nInserted", "nUpserted", "nMatched", "nModified", "nRemoved"), 0)
    errors: list[dict[str, Any]] = []
    upserted: list[dict[str, Any]] = []
    with collection.database.write() as conn:
        for position, request in enumerate(requests):
            conn.execute("SAVEPOINT one")
            try:
                _bulk_one(collection, conn, request, position, counts, upserted)
            except (OperationFailure, DocumentTooLarge) as exc:  # the write refused
                conn.execute("ROLLBACK TO one")
                collection.database.forget_created(conn)  # a collection it made is undone
                errors.append(_write_error(position, request, exc))
            conn.execute("RELEASE one")
            if errors and ordered:
                break
    result = {**counts, "upserted": upserted, "writeErrors": errors}
    if errors:
        raise BulkWriteError({**result, "writeConcernErrors": []})
    return BulkWriteResult(result, True)


def _bulk_one(
    collection: EmbeddedCollection,
    conn: sqlite3.Connection,
    request: Any,
    position: int,
    counts: dict[str, int],
    upserted: list[dict[str, Any]],
) -> None:
    if isinstance(request, InsertOne):
        document = request._doc
        give_id(document)
        insert_row(collection, conn, document)
        counts["nInserted"] += 1
        return
    rows = collection._matching(conn, dict(request._filter), isinstance(request, DeleteMany))
    if isinstance(request, (DeleteOne, DeleteMany)):
        for row in rows:
            delete_row(collection, conn, row)
        counts["nRemoved"] += len(rows)
        return
    update = request._doc
    validate_update(update)
    modified = sum(rewrite_row(collection, conn, row, update, False) for row in rows)
    counts["nMatched"] += len(rows)  # once the write is done: a refused one counts nothing
    counts["nModified"] += modified
    if not rows and request._upsert:
        doc = collection._upsert(conn, dict(request._filter), update, False)
        counts["nUpserted"] += 1
        upserted.append({"index": position, "_id": doc["_id"]})


def _runnable(request: Any) -> None:
    """Raises TypeError for a bulk request this engine does not run as MongoDB would."""
    if not isinstance(request, (InsertOne, UpdateOne, DeleteOne, DeleteMany)):
        raise TypeError(f"{type(request).__name__} is not a bulk write this engine runs")
    if isinstance(request, UpdateOne) and not isinstance(request._doc, dict):
        raise TypeError("an update pipeline is not a write this engine runs")
    for option in ("_collation", "_array_filters", "_hint", "_sort"):
        if getattr(request, option, None) is not None:
            raise TypeError(f"{option.lstrip('_')} is not an option this engine runs")


def _write_error(position: int, request: Any, exc: Exception) -> dict[str, Any]:
    """A refused write as pymongo reports it in BulkWriteError.details["writeErrors"]."""
    details = getattr(exc, "details", None) or {}
    error = {
        "index": position,
        "code": getattr(exc, "code", None) or 2,
        "errmsg": str(exc),
        "op": request._doc if isinstance(request, InsertOne) else dict(request._filter),
    }
    if "keyValue" in details:
        error["keyValue"] = details["keyValue"]
    return error
