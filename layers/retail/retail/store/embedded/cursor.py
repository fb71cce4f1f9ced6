"""Reading: candidate rows (by _id, by a secondary index, or a scan) and the find() cursor."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .codec import loads
from .database import docs_table, index_table
from .indexes import best_probe, lookup_values
from .matching import Filter, matches
from .shaping import SortSpec, project, sort_documents, sort_spec

if TYPE_CHECKING:
    from .collection import EmbeddedCollection


Row = tuple[int, str, dict[str, Any]]


def candidate_rows(
    conn: sqlite3.Connection, collection: EmbeddedCollection, query: Filter
) -> Iterator[Row]:
    """(rowid, stored text, document) for each document matching `query`, in insertion order.

    The caller has checked the schema for this operation (`EmbeddedDatabase.refresh...`).
    """
    if not isinstance(query, dict):
        raise TypeError("filter must be an instance of dict")
    if not collection.database.has_collection(collection.name):
        return
    sql, params = _plan(collection, query)
    cursor = conn.execute(sql, params)
    try:
        for rowid, text in cursor:
            doc = loads(text)
            if matches(doc, query):
                yield rowid, text, doc
    finally:
        cursor.close()


def _plan(collection: EmbeddedCollection, query: Filter) -> tuple[str, list[Any]]:
    table = docs_table(collection.name)
    ids = lookup_values(query["_id"]) if "_id" in query else None
    if ids is not None:
        marks = ", ".join("?" * len(ids))
        return f"SELECT rowid, doc FROM {table} WHERE id IN ({marks}) ORDER BY rowid", ids
    probe = best_probe(collection.database.index_specs(collection.name), query)
    if probe is None:
        return f"SELECT rowid, doc FROM {table} ORDER BY rowid", []
    spec, where, params = probe
    return (
        f"SELECT rowid, doc FROM {table} WHERE id IN "
        f"(SELECT id FROM {index_table(collection.name, spec.name)} WHERE {where}) "
        "ORDER BY rowid",
        params,
    )


class EmbeddedCursor:
    """pymongo's Cursor surface: chain sort/skip/limit, then iterate."""

    def __init__(
        self, collection: EmbeddedCollection, query: Filter, projection: dict[str, bool] | None
    ) -> None:
        self._collection = collection
        self._query = query
        self._projection = projection
        self._sort: SortSpec | None = None
        self._skip = 0
        self._limit = 0
        self._results: Iterator[dict[str, Any]] | None = None

    def sort(self, key_or_list: Any, direction: Any = None) -> EmbeddedCursor:
        self._sort = sort_spec(key_or_list, direction)
        return self

    def skip(self, skip: int) -> EmbeddedCursor:
        if not isinstance(skip, int) or skip < 0:
            raise ValueError("skip must be a non-negative int")
        self._skip = skip
        return self

    def limit(self, limit: int) -> EmbeddedCursor:
        if not isinstance(limit, int):
            raise TypeError("limit must be an integer")
        self._limit = abs(limit)
        return self

    def __iter__(self) -> EmbeddedCursor:
        return self

    def __next__(self) -> dict[str, Any]:
        if self._results is None:
            self._results = iter(self._evaluate())
        return next(self._results)

    def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        docs = list(self)
        return docs if length is None else docs[:length]

    def _evaluate(self) -> list[dict[str, Any]]:
        database = self._collection.database
        conn = database.connection()
        database.refresh_for_read(conn, self._collection.name)
        try:
            return self._read(conn)
        except sqlite3.OperationalError:  # an index table another process just dropped
            database.refresh(conn)
            return self._read(conn)

    def _read(self, conn: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = candidate_rows(conn, self._collection, self._query)
        end = self._skip + self._limit if self._limit else None
        if self._sort is None:
            docs = []
            for _, _, doc in rows:
                docs.append(doc)
                if end is not None and len(docs) >= end:
                    break
        else:
            docs = sort_documents([doc for _, _, doc in rows], self._sort)
        return [project(doc, self._projection) for doc in docs[self._skip : end]]

    def explain(self) -> dict[str, Any]:
        """Like pymongo's explain(): here, SQLite's plan for fetching the candidates."""
        database = self._collection.database
        conn = database.connection()
        database.refresh(conn)
        if not database.has_collection(self._collection.name):
            return {"queryPlanner": {"sqlite": []}}
        sql, params = _plan(self._collection, self._query)
        steps = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        return {"queryPlanner": {"sqlite": steps}}

    def close(self) -> None:
        self._results = iter(())
