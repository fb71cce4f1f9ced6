"""Storing one document row with its index entries: insert, rewrite, delete.

Every write of the engine ends here, inside the caller's write transaction.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from pymongo.errors import DuplicateKeyError, OperationFailure

from .codec import index_value, normalise
from .cursor import Row, candidate_rows
from .database import META_TABLE, MULTIKEY_TABLE, docs_table, index_table, quote
from .indexes import IndexSpec, keys_of, touches_indexes
from .limits import stored_text
from .paths import values_at
from .updating import give_id, transform

if TYPE_CHECKING:
    from .collection import EmbeddedCollection


def rewrite_row(
    collection: EmbeddedCollection,
    conn: sqlite3.Connection,
    row: Row,
    update: dict[str, Any],
    replace: bool,
) -> int:
    """Apply `update` to the row's document in place and store it; 1 if it changed."""
    rowid, text, doc = row
    specs = touched_specs(collection, update, replace)
    keys_before = [keys_of(spec, doc) for spec in specs]
    transform(doc, update, replace)
    new_text = stored_text(doc)
    if new_text == text:
        return 0
    conn.execute(
        f"UPDATE {docs_table(collection.name)} SET doc = ? WHERE rowid = ?", (new_text, rowid)
    )
    for spec, before in zip(specs, keys_before, strict=True):
        if keys_of(spec, doc) != before:
            conn.execute(
                f"DELETE FROM {index_table(collection.name, spec.name)} WHERE id = ?",
                (index_value(doc["_id"]),),
            )
            add_index_keys(collection, conn, spec, doc)
    return 1


# The indexes an update's paths reach, by collection and paths; each entry keeps the spec
# list it was worked out from, so a changed index set is noticed by identity.
_TOUCHED: dict[tuple[str, tuple[str, ...]], tuple[list[IndexSpec], list[IndexSpec]]] = {}
TOUCHED_ENTRIES = 4096  # updates naming ids in their paths (`ops.<order>`) must not grow it


def touched_specs(
    collection: EmbeddedCollection, update: dict[str, Any], replace: bool
) -> list[IndexSpec]:
    """The indexes whose entries `update` may change, worked out once per update shape
    rather than once per document it rewrites."""
    specs = collection.database.index_specs(collection.name)
    if replace or not specs:
        return list(specs)
    paths = tuple(
        sorted(p for fields in update.values() if isinstance(fields, dict) for p in fields)
    )
    key = (collection.name, paths)
    known = _TOUCHED.get(key)
    if known is None or known[0] is not specs:
        if len(_TOUCHED) >= TOUCHED_ENTRIES:
            _TOUCHED.clear()
        known = (specs, [spec for spec in specs if touches_indexes([spec], update, False)])
        _TOUCHED[key] = known
    return known[1]


def insert_row(
    collection: EmbeddedCollection, conn: sqlite3.Connection, document: dict[str, Any]
) -> None:
    doc = normalise(document)
    if isinstance(doc["_id"], list):
        raise OperationFailure("can't use an array for _id", code=2)
    collection.database.ensure_collection(conn, collection.name)
    try:
        conn.execute(
            f"INSERT INTO {docs_table(collection.name)} (id, doc) VALUES (?, ?)",
            (index_value(doc["_id"]), stored_text(doc)),
        )
    except sqlite3.IntegrityError:
        raise duplicate_error(collection, "_id_", {"_id": doc["_id"]}) from None
    for spec in collection.database.index_specs(collection.name):
        add_index_keys(collection, conn, spec, doc)


def delete_row(collection: EmbeddedCollection, conn: sqlite3.Connection, row: Row) -> None:
    rowid, _, doc = row
    conn.execute(f"DELETE FROM {docs_table(collection.name)} WHERE rowid = ?", (rowid,))
    for spec in collection.database.index_specs(collection.name):
        conn.execute(
            f"DELETE FROM {index_table(collection.name, spec.name)} WHERE id = ?",
            (index_value(doc["_id"]),),
        )


def add_index_keys(
    collection: EmbeddedCollection, conn: sqlite3.Connection, spec: IndexSpec, doc: dict[str, Any]
) -> None:
    keys = keys_of(spec, doc)
    if not keys:
        return
    if len(keys) > 1:  # an array in an indexed field: the index is multikey from now on
        conn.execute(
            f"INSERT OR IGNORE INTO {MULTIKEY_TABLE} VALUES (?, ?)", (collection.name, spec.name)
        )
    marks = ", ".join("?" * (len(spec.keys) + 1))
    try:
        conn.executemany(
            f"INSERT INTO {index_table(collection.name, spec.name)} VALUES ({marks})",
            [(index_value(doc["_id"]), *key) for key in keys],
        )
    except sqlite3.IntegrityError:
        raise duplicate_error(
            collection, spec.name, {f: values_at(doc, f)[0] for f in spec.fields}
        ) from None


def duplicate_error(
    collection: EmbeddedCollection, index: str, key_value: dict[str, Any]
) -> DuplicateKeyError:
    return DuplicateKeyError(
        f"E11000 duplicate key error collection: {collection.full_name} index: {index} "
        f"dup key: {key_value!r}",
        11000,
        {"keyValue": key_value, "index": index},
    )


def build_index(collection: EmbeddedCollection, conn: sqlite3.Connection, spec: IndexSpec) -> None:
    table = index_table(collection.name, spec.name)
    columns = ", ".join(f"k{i}" for i in range(len(spec.keys)))
    conn.execute(f"CREATE TABLE {table} (id NOT NULL, {columns})")
    unique = "UNIQUE " if spec.unique else ""
    ordered = ", ".join(  # in the index's own directions, so a sort can walk it (ordered.py)
        f"k{i} {'DESC' if way < 0 else 'ASC'}" for i, (_, way) in enumerate(spec.keys)
    )
    conn.execute(
        f"CREATE {unique}INDEX {quote('x:' + collection.name + ':' + spec.name)} "
        f"ON {table} ({ordered})"
    )
    conn.execute(f"CREATE INDEX {quote('y:' + collection.name + ':' + spec.name)} ON {table} (id)")
    conn.execute(
        f"INSERT INTO {META_TABLE} VALUES (?, ?, ?)", (collection.name, spec.name, spec.to_json())
    )
    for _, _, doc in candidate_rows(conn, collection, {}):
        add_index_keys(collection, conn, spec, doc)


def insert_rows(
    collection: EmbeddedCollection, documents: list[dict[str, Any]], ordered: bool
) -> tuple[list[Any], list[dict[str, Any]]]:
    """insert_many's work: (inserted ids, write errors); ordered stops at the first error."""
    errors: list[dict[str, Any]] = []
    inserted: list[Any] = []
    with collection.database.write() as conn:
        # Without a unique secondary index only the row's own INSERT can fail, and it fails
        # whole: no savepoint is needed to undo a refused document's index entries. Read
        # inside the write, once the schema is refreshed: an index may be new.
        undo = any(spec.unique for spec in collection.database.index_specs(collection.name))
        for position, document in enumerate(documents):
            give_id(document)
            if undo:
                conn.execute("SAVEPOINT one")
            try:
                insert_row(collection, conn, document)
                inserted.append(document["_id"])
            except DuplicateKeyError as exc:
                if undo:
                    conn.execute("ROLLBACK TO one")
                errors.append(
                    {
                        "index": position,
                        "code": 11000,
                        "errmsg": str(exc),
                        "keyValue": (exc.details or {}).get("keyValue"),
                    }
                )
                if ordered:
                    if undo:
                        conn.execute("RELEASE one")
                    break
            if undo:
                conn.execute("RELEASE one")
    return inserted, errors
