"""The pymongo Collection subset the project uses, over the embedded database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import (
    BulkWriteError,
    OperationFailure,
)
from pymongo.results import (
    BulkWriteResult,
    DeleteResult,
    InsertManyResult,
    InsertOneResult,
    UpdateResult,
)

from .bulk import run_bulk
from .codec import MISSING, loads, normalise, sort_key
from .cursor import EmbeddedCursor, Row, candidate_rows
from .database import META_TABLE, EmbeddedDatabase, docs_table, index_table
from .indexes import IndexSpec, default_name
from .matching import Filter
from .oneshot import rewrite_by_id
from .paths import expand, values_at
from .rows import build_index, delete_row, insert_row, insert_rows, rewrite_row
from .shaping import project, projection_spec, sort_documents, sort_spec
from .updating import (
    Update,
    apply_update,
    give_id,
    upsert_seed,
    validate_replacement,
    validate_update,
    with_id,
)


class EmbeddedCollection:
    def __init__(self, database: EmbeddedDatabase, name: str) -> None:
        self.database = database
        self.name = name
        self.full_name = f"{database.name}.{name}"
        self.insert_sql = (
            f"INSERT INTO {docs_table(name)} (id, doc) SELECT ?, ? "
            "WHERE (SELECT schema_version FROM pragma_schema_version) = ?"
        )
        self.rewrite_sql = (
            f"UPDATE {docs_table(name)} SET doc = retail_rewrite(rowid, doc) "
            "WHERE id = ? AND (SELECT schema_version FROM pragma_schema_version) = ? "
            "AND retail_rewrite(rowid, doc) IS NOT NULL"
        )

    def __repr__(self) -> str:
        return f"EmbeddedCollection({self.full_name!r})"

    # reads

    def find(
        self,
        filter: Filter | None = None,
        projection: Any = None,
        *,
        sort: Any = None,
        skip: int = 0,
        limit: int = 0,
    ) -> EmbeddedCursor:
        cursor = EmbeddedCursor(self, filter or {}, projection_spec(projection))
        if sort is not None:
            cursor.sort(sort)
        return cursor.skip(skip).limit(limit)

    def find_one(
        self, filter: Any = None, projection: Any = None, *, sort: Any = None, skip: int = 0
    ) -> dict[str, Any] | None:
        if filter is not None and not isinstance(filter, dict):
            filter = {"_id": filter}
        for doc in self.find(filter, projection, sort=sort, skip=skip, limit=1):
            return doc
        return None

    def count_documents(self, filter: Filter, skip: int = 0, limit: int = 0) -> int:
        return len(list(self.find(filter, {"_id": 1}, skip=skip, limit=limit)))

    def estimated_document_count(self) -> int:
        conn = self.database.connection()
        self.database.refresh(conn)
        if not self.database.has_collection(self.name):
            return 0
        return int(conn.execute(f"SELECT COUNT(*) FROM {docs_table(self.name)}").fetchone()[0])

    def distinct(self, key: str, filter: Filter | None = None) -> list[Any]:
        seen: dict[Any, Any] = {}
        for doc in self.find(filter or {}):
            for value in expand(values_at(doc, key)):
                if value is not None and value is not MISSING and not isinstance(value, list):
                    seen.setdefault(sort_key(value), value)
        return list(seen.values())

    # writes

    def insert_one(self, document: dict[str, Any]) -> InsertOneResult:
        if not isinstance(document, dict):
            raise TypeError("document must be an instance of dict")
        give_id(document)
        with self.database.write() as conn:
            insert_row(self, conn, document)
        return InsertOneResult(document["_id"], True)

    def insert_many(
        self, documents: list[dict[str, Any]], ordered: bool = True
    ) -> InsertManyResult:
        documents = list(documents)
        if not documents:
            raise TypeError("documents must be a non-empty list")
        inserted, errors = insert_rows(self, documents, ordered)
        if errors:
            raise BulkWriteError(
                {
                    "writeErrors": errors,
                    "nInserted": len(inserted),
                    "writeConcernErrors": [],
                    "nUpserted": 0,
                    "nMatched": 0,
                    "nModified": 0,
                    "nRemoved": 0,
                    "upserted": [],
                }
            )
        return InsertManyResult(inserted, True)

    def update_one(self, filter: Filter, update: Update, upsert: bool = False) -> UpdateResult:
        validate_update(update)
        return self._update(filter, update, upsert, many=False)

    def update_many(self, filter: Filter, update: Update, upsert: bool = False) -> UpdateResult:
        validate_update(update)
        return self._update(filter, update, upsert, many=True)

    def replace_one(
        self, filter: Filter, replacement: dict[str, Any], upsert: bool = False
    ) -> UpdateResult:
        validate_replacement(replacement)
        return self._update(filter, replacement, upsert, many=False, replace=True)

    def find_one_and_update(
        self,
        filter: Filter,
        update: Update,
        projection: Any = None,
        sort: Any = None,
        upsert: bool = False,
        return_document: bool = ReturnDocument.BEFORE,
    ) -> dict[str, Any] | None:
        validate_update(update)
        return self._find_and_modify(filter, update, projection, sort, upsert, return_document)

    def find_one_and_replace(
        self,
        filter: Filter,
        replacement: dict[str, Any],
        projection: Any = None,
        sort: Any = None,
        upsert: bool = False,
        return_document: bool = ReturnDocument.BEFORE,
    ) -> dict[str, Any] | None:
        validate_replacement(replacement)
        return self._find_and_modify(
            filter, replacement, projection, sort, upsert, return_document, replace=True
        )

    def find_one_and_delete(
        self, filter: Filter, projection: Any = None, sort: Any = None
    ) -> dict[str, Any] | None:
        with self.database.write() as conn:
            found = self._first(conn, filter, sort)
            if found is None:
                return None
            delete_row(self, conn, found)
        return project(found[2], projection_spec(projection))

    def delete_one(self, filter: Filter) -> DeleteResult:
        return self._delete_matching(filter, many=False)

    def delete_many(self, filter: Filter) -> DeleteResult:
        return self._delete_matching(filter, many=True)

    def bulk_write(self, requests: list[Any], ordered: bool = True) -> BulkWriteResult:
        return run_bulk(self, requests, ordered)

    def drop(self) -> None:
        self.database.drop_collection(self.name)

    # indexes

    def with_options(self, **_: Any) -> EmbeddedCollection:
        """Concerns and preferences: one copy written in order, so each already holds."""
        return self

    def create_index(
        self,
        keys: Any,
        *,
        unique: bool = False,
        name: str | None = None,
        sparse: bool = False,
        partialFilterExpression: Filter | None = None,
        expireAfterSeconds: int | None = None,
        background: bool | None = None,
    ) -> str:
        """Create the index once; `background` is accepted and meaningless, as on MongoDB 4.2+.
        A TTL index (`expireAfterSeconds`) is on one field, as on MongoDB (ttl.py)."""
        pairs = tuple(sort_spec(keys))
        if expireAfterSeconds is not None and len(pairs) != 1:
            raise OperationFailure("TTL indexes are single-field indexes", code=67)
        if expireAfterSeconds is not None and not 0 <= expireAfterSeconds <= 2**31 - 1:
            raise OperationFailure("expireAfterSeconds must be within [0, 2147483647]", code=67)
        if [name for name, _ in pairs] == ["_id"] and (partialFilterExpression or sparse):
            # MongoDB takes `_id` alone for the _id index (index_catalog_impl.cpp, _isSpecOk)
            raise OperationFailure("_id index cannot be a partial or sparse index", code=67)
        spec = IndexSpec(
            name or default_name(pairs),
            pairs,
            unique,
            sparse,
            partialFilterExpression,
            expireAfterSeconds,
        )
        with self.database.write() as conn:
            self.database.ensure_collection(conn, self.name)
            for existing in self.database.index_specs(self.name):
                if existing.name == spec.name or existing.keys == spec.keys:
                    if existing.to_json() == spec.to_json() and existing.name == spec.name:
                        return spec.name
                    raise OperationFailure(
                        f"An index with name '{existing.name}' or keys "
                        f"{list(existing.keys)} already exists with different "
                        "options",
                        code=85,
                    )
            build_index(self, conn, spec)
        self.database.schema_changed_here()
        return spec.name

    def index_information(self) -> dict[str, dict[str, Any]]:
        self.database.refresh(self.database.connection())
        info = {"_id_": {"key": [("_id", 1)], "v": 2}}
        for spec in self.database.index_specs(self.name):
            info[spec.name] = spec.as_info()
        return info

    def drop_index(self, name: str) -> None:
        with self.database.write() as conn:
            if name not in {s.name for s in self.database.index_specs(self.name)}:
                raise OperationFailure(f"index not found with name [{name}]", code=27)
            conn.execute(f"DROP TABLE {index_table(self.name, name)}")
            conn.execute(
                f"DELETE FROM {META_TABLE} WHERE collection = ? AND name = ?", (self.name, name)
            )
        self.database.schema_changed_here()

    # internals: every write goes through _insert, _rewrite and _delete

    def _first(self, conn: sqlite3.Connection, filter: Filter, sort: Any) -> Row | None:
        rows: Iterator[Row] = candidate_rows(conn, self, filter)
        if sort is None:
            return next(rows, None)
        by_doc = {id(row[2]): row for row in rows}
        ordered = sort_documents([row[2] for row in by_doc.values()], sort_spec(sort))
        return by_doc[id(ordered[0])] if ordered else None

    def _matching(self, conn: sqlite3.Connection, filter: Filter, many: bool) -> list[Row]:
        if many:
            return list(candidate_rows(conn, self, filter))
        row = self._first(conn, filter, None)
        return [row] if row is not None else []

    def _update(
        self,
        filter: Filter,
        update: dict[str, Any],
        upsert: bool,
        many: bool,
        replace: bool = False,
    ) -> UpdateResult:
        if not many:
            job = rewrite_by_id(self, filter, update, replace, upsert)
            if job is not None:
                return job.as_update_result()
        with self.database.write() as conn:
            rows = self._matching(conn, filter, many)
            modified = sum(rewrite_row(self, conn, row, update, replace) for row in rows)
            if not rows and upsert:
                doc = self._upsert(conn, filter, update, replace)
                return UpdateResult(
                    {"n": 1, "nModified": 0, "upserted": doc["_id"], "updatedExisting": False}, True
                )
        return UpdateResult(
            {"n": len(rows), "nModified": modified, "updatedExisting": bool(rows)}, True
        )

    def _find_and_modify(
        self,
        filter: Filter,
        update: dict[str, Any],
        projection: Any,
        sort: Any,
        upsert: bool,
        return_document: bool,
        replace: bool = False,
    ) -> dict[str, Any] | None:
        job = rewrite_by_id(self, filter, update, replace, upsert) if sort is None else None
        if job is not None:
            if job.upserted:
                return (
                    project(job.after or {}, projection_spec(projection))
                    if return_document
                    else None
                )
            if not job.matched:
                return None
            chosen = job.after if return_document else loads(job.before or "")
            return project(chosen or {}, projection_spec(projection))
        with self.database.write() as conn:
            row = self._first(conn, filter, sort)
            if row is None:
                if not upsert:
                    return None
                doc = self._upsert(conn, filter, update, replace)
                return project(doc, projection_spec(projection)) if return_document else None
            rewrite_row(self, conn, row, update, replace)
        # Parsed again outside the write lock: the stored text is the document as it was.
        chosen = row[2] if return_document else loads(row[1])
        return project(chosen, projection_spec(projection))

    def _upsert(
        self, conn: sqlite3.Connection, filter: Filter, update: dict[str, Any], replace: bool
    ) -> dict[str, Any]:
        seed = upsert_seed(filter)
        if replace:
            doc = with_id({**({"_id": seed["_id"]} if "_id" in seed else {}), **normalise(update)})
        else:
            doc = with_id(apply_update(seed, update, inserting=True))
        insert_row(self, conn, doc)
        return doc

    def _delete_matching(self, filter: Filter, many: bool) -> DeleteResult:
        with self.database.write() as conn:
            rows = self._matching(conn, filter, many)
            for row in rows:
                delete_row(self, conn, row)
        return DeleteResult({"n": len(rows)}, True)
