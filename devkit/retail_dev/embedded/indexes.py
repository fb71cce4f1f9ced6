"""Secondary indexes: one SQLite table per index, kept in the same transaction as the write.

Each index table holds one row per (document, key); array fields contribute one key per
element (multikey), missing fields the null key, so a UNIQUE SQLite index enforces exactly
MongoDB's unique-index rule. Equality and `$in` lookups on a leading index field become
SQLite index probes; the full filter is still checked on every candidate.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .codec import DATE_TAG, DATE_TAG_END, MISSING, dumps, index_value
from .matching import Filter, is_operator_expression, matches
from .paths import values_at

MAX_CANDIDATE_KEYS = 20_000  # below SQLite's 32,766 parameters of one statement


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    sparse: bool = False
    partial: Filter | None = field(default=None, hash=False, compare=False)
    expire_after: int | None = None  # seconds: a TTL index (ttl.py)

    @property
    def fields(self) -> list[str]:
        return [name for name, _ in self.keys]

    def as_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"key": list(self.keys), "v": 2}
        if self.unique:
            info["unique"] = True
        if self.sparse:
            info["sparse"] = True
        if self.partial is not None:
            info["partialFilterExpression"] = self.partial
        if self.expire_after is not None:
            info["expireAfterSeconds"] = self.expire_after
        return info

    def to_json(self) -> str:
        return dumps(
            {
                "keys": self.keys,
                "unique": self.unique,
                "sparse": self.sparse,
                "partial": self.partial,
                "expire_after": self.expire_after,
            }
        )

    def covers_every_document(self) -> bool:
        return not self.sparse and self.partial is None


def _filter_fields(query: Any) -> set[str]:
    """Every field a (partial-index) filter looks at, however deeply nested."""
    fields: set[str] = set()
    if isinstance(query, dict):
        for key, cond in query.items():
            if key.startswith("$"):
                for sub in cond if isinstance(cond, list) else [cond]:
                    fields |= _filter_fields(sub)
            else:
                fields.add(key)
    return fields


def touches_indexes(specs: list[IndexSpec], change: dict[str, Any], replace: bool) -> bool:
    """Whether applying `change` could alter any index entry (key, sparse or partial membership).

    Conservative: a replacement touches every index; an update path touches a field when one
    is a prefix of the other (`a` and `a.b`).
    """
    if not specs:
        return False
    if replace:
        return True
    watched = set()
    for spec in specs:
        watched |= set(spec.fields) | _filter_fields(spec.partial)
    for fields in change.values():
        for path in fields if isinstance(fields, dict) else ():
            for field_name in watched:
                if (
                    path == field_name
                    or path.startswith(field_name + ".")
                    or field_name.startswith(path + ".")
                ):
                    return True
    return False


def default_name(keys: tuple[tuple[str, int], ...]) -> str:
    return "_".join(f"{name}_{way}" for name, way in keys)


def keys_of(spec: IndexSpec, doc: dict[str, Any]) -> set[tuple[Any, ...]]:
    """The index entries `doc` contributes to `spec` (none when sparse or partial excludes it)."""
    per_field: list[list[Any]] = []
    present = False
    for name in spec.fields:
        values: list[Any] = []
        for value in values_at(doc, name):
            if value is not MISSING:
                present = True
            if isinstance(value, list):
                values.extend(index_value(v) for v in value) if value else values.append("\x00[]")
            else:
                values.append(index_value(value))
        per_field.append(values)
    if spec.sparse and not present:
        return set()
    if spec.partial is not None and not matches(doc, spec.partial):
        return set()
    return set(itertools.product(*per_field))


def lookup_values(cond: Any) -> list[Any] | None:
    """Index keys that every document matching `cond` on a field must have, if knowable."""
    if is_operator_expression(cond):
        if set(cond) == {"$eq"}:
            cond = cond["$eq"]
        elif set(cond) == {"$in"} and isinstance(cond["$in"], list):
            targets = cond["$in"]
            if len(targets) <= MAX_CANDIDATE_KEYS and all(_scalar(t) for t in targets):
                return [index_value(t) for t in targets]
            return None
        else:
            return None
    return [index_value(cond)] if _scalar(cond) else None


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple)) and not hasattr(value, "pattern")


def range_condition(column: str, cond: Any) -> tuple[str, list[Any]] | None:
    """SQL bounds on an index column that every value matching a number, date or string range
    obeys.

    Index keys order numbers before text, tagged values (null, booleans, dates, ObjectIds,
    documents) as text beginning with NUL, and strings as plain text after them
    (codec.index_value), so a range stays inside its BSON type bracket, as MongoDB's
    comparisons do.
    """
    if not is_operator_expression(cond):
        return None
    bounds = {op: cond[op] for op in ("$gt", "$gte", "$lt", "$lte") if op in cond}
    values = list(bounds.values())
    if not values:
        return None
    kind = _bracket(values)
    if kind is None:
        return None
    sql, params = [], []
    for op, value in bounds.items():
        sql.append(f"{column} {_SQL_OPS[op]} ?")
        params.append(index_value(value))
    low, high = _BRACKETS[kind]
    if low is not None and not any(op in bounds for op in ("$gt", "$gte")):
        sql.append(f"{column} >= ?")
        params.append(low)
    if high is not None and not any(op in bounds for op in ("$lt", "$lte")):
        sql.append(f"{column} < ?")
        params.append(high)
    return " AND ".join(sql), params


def _bracket(values: list[Any]) -> str | None:
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "number"
    if all(isinstance(v, datetime) for v in values):
        return "date"
    if all(isinstance(v, str) for v in values):
        return "string"
    return None


# Each bracket's edges as index keys: numbers end where text begins ('' sorts after every
# number); strings run from the empty string (below the NUL-led tags of other types, which a
# string range's candidates may then include: they are matched again) to the end of text.
_BRACKETS: dict[str, tuple[Any, Any]] = {
    "number": (None, ""),
    "date": (DATE_TAG, DATE_TAG_END),
    "string": ("", None),
}
_SQL_OPS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
