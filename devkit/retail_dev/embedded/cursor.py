"""Reading: candidate rows (by _id, by a secondary index, or a scan) and the find() cursor."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .codec import loads
from .database import docs_table, index_table
from .matching import Filter, matches
from .ordered import ordered_documents
from .planning import EXACT, plan
from .scans import report
from .shaping import SortSpec, project, sort_documents, sort_spec

if TYPE_CHECKING:
    from .collection import EmbeddedCollection


Row = tuple[int, str, dict[str, Any]]


def candidate_rows(
    conn: sqlite3.Connection, collection: EmbeddedCollection, query: Filter, running: bool = True
) -> Iterator[Row]:
    """(rowid, stored text, document) for each document matching `query`, in insertion order.

    The caller has checked the schema for this operation (`EmbeddedDatabase.refresh...`).
    """
    if not isinstance(query, dict):
        raise TypeError("filter must be an instance of dict")
    if not collection.database.has_collection(collection.name):
        return
    sql, params = _plan(collection, query, running)
    cursor = conn.execute(sql, params)
    try:
        for rowid, text in cursor:
            doc = loads(text)
            if matches(doc, query):
                yield rowid, text, doc
    finally:
        cursor.close()


def _plan(
    collection: EmbeddedCollection, query: Filter, running: bool = True
) -> tuple[str, list[Any]]:
    """The SQL that reads `query`'s candidates (planning.plan), reporting a scan when running."""
    table = docs_table(collection.name)
    probes = plan(collection.database.index_specs(collection.name), query)
    if probes is None:
        if running:
            report(collection.name, query)
        return f"SELECT rowid, doc FROM {table} ORDER BY rowid", []
    if len(probes) == 1 and probes[0].index is None:
        return f"SELECT rowid, doc FROM {table} WHERE {probes[0].where} ORDER BY rowid", list(
            probes[0].params
        )
    selects: list[str] = []
    params: list[Any] = []
    for probe in probes:
        source = table if probe.index is None else index_table(collection.name, probe.index.name)
        selects.append(f"SELECT id FROM {source} WHERE {probe.where}")
        params += probe.params
    return (
        f"SELECT rowid, doc FROM {table} WHERE id IN ({' UNION '.join(selects)}) ORDER BY rowid",
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
        end = self._skip + self._limit if self._limit else None
        if self._sort is not None and end is not None:
            page = self._read_in_index_order(conn, end)
            if page is not None:
                return [project(doc, self._projection) for doc in page[self._skip : end]]
        # Any `end` documents, unsorted, are the first rows read: no scan, whatever the size.
        peek = not self._query and self._sort is None and end is not None
        rows = candidate_rows(conn, self._collection, self._query, running=not peek)
        if self._sort is None:
            docs = []
            for _, _, doc in rows:
                docs.append(doc)
                if end is not None and len(docs) >= end:
                    break
        else:
            docs = sort_documents([doc for _, _, doc in rows], self._sort)
        return [project(doc, self._projection) for doc in docs[self._skip : end]]

    def _read_in_index_order(
        self, conn: sqlite3.Connection, end: int
    ) -> list[dict[str, Any]] | None:
        """The first `end` documents, read in an index's order, when one serves the sort and
        no probe narrows more (ordered.ordered_documents); None otherwise."""
        assert self._sort is not None
        specs = self._collection.database.index_specs(self._collection.name)
        probes = plan(specs, self._query)
        narrowest = min((probe.score for probe in probes), default=0) if probes else 0
        if narrowest >= EXACT:
            return None
        docs = ordered_documents(conn, self._collection, self._query, self._sort, narrowest)
        return None if docs is None else list(itertools.islice(docs, end))

    def explain(self) -> dict[str, Any]:
        """Like pymongo's explain(): here, SQLite's plan for fetching the candidates."""
        database = self._collection.database
        conn = database.connection()
        database.refresh(conn)
        if not database.has_collection(self._collection.name):
            return {"queryPlanner": {"sqlite": []}}
        sql, params = _plan(self._collection, self._query, running=False)
        steps = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        return {"queryPlanner": {"sqlite": steps}}

    def close(self) -> None:
        self._results = iter(())
