"""Sort specifications and projections, as MongoDB applies them to query results."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from pymongo.errors import OperationFailure

from .codec import MISSING, sort_key
from .paths import values_at

SortSpec = list[tuple[str, int]]


def sort_spec(key_or_list: Any, direction: Any = None) -> SortSpec:
    """Normalise pymongo's sort arguments: "f", ("f", -1), [("f", 1), ...] or {"f": 1}."""
    if isinstance(key_or_list, str):
        pairs = [(key_or_list, 1 if direction is None else direction)]
    elif isinstance(key_or_list, Mapping):
        pairs = list(key_or_list.items())
    else:
        pairs = [tuple(p) for p in key_or_list]
    for name, way in pairs:
        if way not in (1, -1):
            raise OperationFailure(f"bad sort direction for {name}: {way!r}", code=2)
    return [(str(name), int(way)) for name, way in pairs]


def _field_key(doc: Any, *, path: str, descending: bool) -> tuple[int, Any]:
    candidates: list[Any] = []
    for value in values_at(doc, path):
        if isinstance(value, list):
            candidates.extend(value or [MISSING])
        else:
            candidates.append(value)
    keys = [sort_key(v) for v in candidates]
    return max(keys) if descending else min(keys)


def sort_documents(docs: list[dict[str, Any]], spec: SortSpec) -> list[dict[str, Any]]:
    """Stable multi-key sort; arrays sort by their smallest (ascending) or largest element."""
    ordered = list(docs)
    for path, way in reversed(spec):
        ordered.sort(key=partial(_field_key, path=path, descending=way < 0), reverse=way < 0)
    return ordered


def projection_spec(projection: Any) -> dict[str, bool] | None:
    if projection is None:
        return None
    if isinstance(projection, Mapping):
        spec = {}
        for key, value in projection.items():
            if isinstance(value, Mapping) or str(key).endswith(".$"):
                raise OperationFailure(f"projection operator in {key!r} is not supported", code=2)
            spec[str(key)] = bool(value)
        return spec
    if isinstance(projection, Iterable) and not isinstance(projection, str):
        return {str(key): True for key in projection}
    raise TypeError("projection must be a mapping or a list of field names")


def project(doc: dict[str, Any], spec: dict[str, bool] | None) -> dict[str, Any]:
    if not spec:
        return doc
    keep_id = spec.get("_id", True)
    fields = {k: v for k, v in spec.items() if k != "_id"}
    inclusive = set(fields.values())
    if len(inclusive) > 1:
        raise OperationFailure(
            "Cannot do exclusion and inclusion in the same projection", code=31254
        )
    if not fields:
        result = {} if spec.get("_id") else dict(doc)
    elif inclusive == {False}:
        result = _exclude(doc, list(fields))
    else:
        result = _include(doc, list(fields))
    if not keep_id:
        result.pop("_id", None)
    elif "_id" in doc:
        result = {"_id": doc["_id"], **{k: v for k, v in result.items() if k != "_id"}}
    return result


def _include(node: Any, paths: list[str]) -> Any:
    if isinstance(node, list):
        return [_include(e, paths) for e in node if isinstance(e, (dict, list))]
    out: dict[str, Any] = {}
    for key, value in node.items():
        here = [p for p in paths if p == key or p.startswith(key + ".")]
        if not here:
            continue
        if key in here:
            out[key] = value
        elif isinstance(value, (dict, list)):
            out[key] = _include(value, [p[len(key) + 1 :] for p in here])
    return out


def _exclude(node: Any, paths: list[str]) -> Any:
    if isinstance(node, list):
        return [_exclude(e, paths) if isinstance(e, (dict, list)) else e for e in node]
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in paths:
            continue
        deeper = [p[len(key) + 1 :] for p in paths if p.startswith(key + ".")]
        out[key] = _exclude(value, deeper) if deeper and isinstance(value, (dict, list)) else value
    return out
