"""Reading in an index's order: a sorted query with a limit stops after its page, as MongoDB's
index scan does, instead of reading and sorting every candidate.

Used when the query pins the index's leading fields to one value each and the sort names the
fields that follow (more may come after them), all in the index's direction or all against
it. Index keys order values within a BSON type bracket as MongoDB does (codec.index_value)
but the brackets themselves differently, so the rows are read bracket by bracket in BSON's
order (null, numbers, strings, ObjectIds, booleans, dates). Keys that are documents or empty
arrays have no such order; an index holding any for the sort field is not used for ordering.
The first sort field decides the brackets; a later one is ordered within its own type.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .codec import loads
from .database import MULTIKEY_TABLE, docs_table, index_table
from .indexes import IndexSpec, lookup_values, range_condition
from .matching import Filter, matches
from .planning import implies
from .shaping import SortSpec

if TYPE_CHECKING:
    from .collection import EmbeddedCollection

# BSON's ascending order of type brackets, as conditions on an index column's keys (tagged
# keys begin with NUL, written char(0) since SQL text cannot hold it).
_BRACKETS = (
    "{k} = char(0) || 'null'",
    "{k} < ''",
    "{k} = ''",
    "{k} >= char(0) || 's:'",
    "{k} >= char(0) || 'o:' AND {k} < char(0) || 'o;'",
    "{k} >= char(0) || 'b:' AND {k} < char(0) || 'b;'",
    "{k} >= char(0) || 'd:' AND {k} < char(0) || 'd;'",
)
# Keys with no BSON order here: empty arrays and documents (each a range of its own, as SQLite
# walks an index range only for a condition without OR).
_UNORDERED = ("{k} = char(0) || '[]'", "{k} >= char(0) || 'j:' AND {k} < char(0) || 'j;'")


def _multikey(conn: sqlite3.Connection, collection: str, index: str) -> bool:
    """Whether any document ever gave the index several keys (MongoDB's multikey flag): an
    array sorts by its least or greatest element, which a walk bounded by a range may not
    reach."""
    found = conn.execute(
        f"SELECT 1 FROM {MULTIKEY_TABLE} WHERE collection = ? AND name = ?", (collection, index)
    )
    return found.fetchone() is not None


def ordered_documents(
    conn: sqlite3.Connection,
    collection: EmbeddedCollection,
    query: Filter,
    sort: SortSpec,
    narrowest_probe: int,
) -> Iterator[dict[str, Any]] | None:
    """The documents matching `query` in `sort` order, lazily; None when no index gives that
    order narrowing at least as much as `narrowest_probe` (planning's score: 2 an equality,
    1 a range) does."""
    ranged = 1 if range_condition("k", query.get(sort[0][0])) is not None else 0
    usable = []
    for spec in collection.database.index_specs(collection.name):
        pinned = _pinned(spec, query, sort)
        to_do_set = 2 if spec.partial is not None else 0  # as planning scores a partial index
        if pinned is not None and 2 * len(pinned) + ranged + to_do_set >= narrowest_probe:
            usable.append((spec, pinned))
    for spec, pinned in sorted(usable, key=lambda found: -len(found[1])):
        table = index_table(collection.name, spec.name)
        first = len(pinned)
        clauses = ["1", *(f"i.k{n} = ?" for n in range(first))]
        if any(
            conn.execute(
                f"SELECT 1 FROM {table} i WHERE {' AND '.join(clauses)} "
                f"AND {unordered.format(k=f'i.k{first}')} LIMIT 1",
                pinned,
            ).fetchone()
            for unordered in _UNORDERED
        ):
            continue
        params = list(pinned)
        bounded = range_condition(f"i.k{first}", query.get(sort[0][0]))
        if bounded is not None:  # the sort field's own range: where the walk starts and ends
            if _multikey(conn, collection.name, spec.name):
                continue  # an array sorts by an element the range may leave out of the walk
            clauses.append(bounded[0])
            params += bounded[1]
        return _read(conn, collection, query, table, " AND ".join(clauses), params, first, sort)
    return None


def _pinned(spec: IndexSpec, query: Filter, sort: SortSpec) -> list[Any] | None:
    """The index keys `query` pins the leading fields to, when the fields after them begin
    with the sort's, all in the index's direction or all against it (fields after those only
    break no tie); a sparse or partial index only when every document the query matches is
    in it."""
    if len(sort) > len(spec.keys):
        return None
    if not spec.covers_every_document() and not implies(query, spec):
        return None
    for first in range(len(spec.keys) - len(sort), -1, -1):
        pairs = list(zip(spec.keys[first : first + len(sort)], sort, strict=True))
        if not (
            all(name == s and way == w for (name, way), (s, w) in pairs)
            or all(name == s and way == -w for (name, way), (s, w) in pairs)
        ):
            continue
        pinned = []
        for name in spec.fields[:first]:
            values = lookup_values(query[name]) if name in query else None
            if values is None or len(values) != 1:
                return None
            pinned.append(values[0])
        return pinned
    return None


def _read(
    conn: sqlite3.Connection,
    collection: EmbeddedCollection,
    query: Filter,
    table: str,
    prefix: str,
    params: list[Any],
    first: int,
    sort: SortSpec,
) -> Iterator[dict[str, Any]]:
    order = ", ".join(
        f"i.k{first + n} {'DESC' if way < 0 else 'ASC'}" for n, (_, way) in enumerate(sort)
    )
    seen: set[Any] = set()
    for bracket in reversed(_BRACKETS) if sort[0][1] < 0 else _BRACKETS:
        rows = conn.execute(
            f"SELECT i.id, d.doc FROM {table} i JOIN {docs_table(collection.name)} d "
            f"ON d.id = i.id WHERE {prefix} AND ({bracket.format(k=f'i.k{first}')}) "
            f"ORDER BY {order}, d.rowid",
            params,
        )
        for key, text in rows:
            if key in seen:
                continue
            seen.add(key)
            doc = loads(text)
            if matches(doc, query):
                yield doc
