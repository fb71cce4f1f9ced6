"""Update operators applied to one document, with MongoDB's validation and error codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from bson import ObjectId
from pymongo.errors import WriteError

from .codec import MISSING, normalise, sort_key
from .matching import Filter, equal, field_matches, is_operator_expression, matches

Update = dict[str, Any]


def validate_update(update: Any) -> None:
    """The client-side checks pymongo makes before sending an update."""
    if not isinstance(update, dict):
        raise TypeError("update must be an instance of dict")
    if not update:
        raise ValueError("update cannot be empty")
    if not next(iter(update)).startswith("$"):
        raise ValueError("update only works with $ operators")


def validate_replacement(replacement: Any) -> None:
    if not isinstance(replacement, dict):
        raise TypeError("replacement must be an instance of dict")
    if replacement and next(iter(replacement)).startswith("$"):
        raise ValueError("replacement can not include $ operators")


def apply_update(doc: dict[str, Any], update: Update, inserting: bool = False) -> dict[str, Any]:
    """Apply `update` to `doc` in place and return it. Raises WriteError as MongoDB would.

    On an error `doc` may be half-updated: callers discard it with the transaction.
    """
    result = doc
    _check_conflicts(update)
    for op, fields in update.items():
        apply = _OPERATORS.get(op)
        if apply is None:
            raise WriteError(f"Unknown modifier: {op}", code=9)
        if not isinstance(fields, dict):
            raise WriteError(
                f"Modifiers operate on fields but we found type {type(fields).__name__} instead",
                code=9,
            )
        if op == "$setOnInsert" and not inserting:
            continue
        for path, arg in fields.items():
            if path == "_id" or path.startswith("_id."):
                _check_id_kept(result, op, path, arg)
            apply(result, path, normalise(arg))
    return result


def transform(doc: dict[str, Any], change: dict[str, Any], replace: bool) -> None:
    """Turn `doc` in place into its next version: `change` is an update or a replacement."""
    if not replace:
        apply_update(doc, change)
        return
    if "_id" in change and not equal(change["_id"], doc["_id"]):
        raise WriteError("The _id field cannot be changed", code=66)
    kept_id = doc["_id"]
    doc.clear()
    doc.update({"_id": kept_id, **normalise({k: v for k, v in change.items() if k != "_id"})})


def _check_id_kept(doc: dict[str, Any], op: str, path: str, arg: Any) -> None:
    if (
        op in ("$set", "$setOnInsert")
        and path == "_id"
        and ("_id" not in doc or equal(doc["_id"], arg))
    ):
        return
    raise WriteError(
        "Performing an update on the path '_id' would modify the immutable field '_id'", code=66
    )


def _check_conflicts(update: Update) -> None:
    seen: list[str] = []
    for fields in update.values():
        for path in fields if isinstance(fields, dict) else ():
            for other in seen:
                if path == other or path.startswith(other + ".") or other.startswith(path + "."):
                    raise WriteError(
                        f"Updating the path '{path}' would create a conflict at '{other}'", code=40
                    )
            seen.append(path)


def _step(node: Any, part: str, create: bool) -> Any:
    """The child `part` of `node` (MISSING if absent), made an empty object when asked."""
    if isinstance(node, list) and part.isdigit():
        index = int(part)
        if index >= len(node):
            if not create:
                return MISSING
            node.extend([None] * (index + 1 - len(node)))
        if node[index] is None and create:
            node[index] = {}
        return node[index]
    if isinstance(node, dict):
        if part not in node:
            if not create:
                return MISSING
            node[part] = {}
        return node[part]
    return MISSING


def _parent(doc: Any, path: str, create: bool) -> tuple[Any, str]:
    """The container holding the last part of `path`, created on the way when asked."""
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        child = _step(node, part, create)
        if isinstance(child, (dict, list)):
            node = child
            continue
        if not create:
            return None, parts[-1]
        raise WriteError(
            f"Cannot create field '{parts[-1]}' in element {{{part}: {child!r}}}", code=28
        )
    return node, parts[-1]


def _get(doc: Any, path: str) -> Any:
    if "." not in path:
        return doc.get(path, MISSING)
    node, last = _parent(doc, path, create=False)
    if isinstance(node, dict):
        return node.get(last, MISSING)
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node[int(last)]
    return MISSING


def _put(doc: Any, path: str, value: Any) -> None:
    if "." not in path:
        doc[path] = value
        return
    node, last = _parent(doc, path, create=True)
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and last.isdigit():
        index = int(last)
        node.extend([None] * (index + 1 - len(node)))
        node[index] = value
    else:
        raise WriteError(f"Cannot create field '{last}' in element {node!r}", code=28)


def _set(doc: Any, path: str, value: Any) -> None:
    _put(doc, path, value)


def _unset(doc: Any, path: str, _: Any) -> None:
    node, last = _parent(doc, path, create=False)
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _inc(doc: Any, path: str, amount: Any) -> None:
    if not _is_number(amount):
        raise WriteError("Cannot increment with non-numeric argument", code=14)
    current = _get(doc, path)
    if current is MISSING:
        _put(doc, path, amount)
    elif not _is_number(current):
        raise WriteError(
            f"Cannot apply $inc to a value of non-numeric type. {path} has the "
            f"type {type(current).__name__}",
            code=14,
        )
    else:
        _put(doc, path, current + amount)


def _extreme(keep_new: Callable[[Any, Any], bool]) -> Callable[[Any, str, Any], None]:
    def apply(doc: Any, path: str, value: Any) -> None:
        current = _get(doc, path)
        if current is MISSING or keep_new(sort_key(value), sort_key(current)):
            _put(doc, path, value)

    return apply


def _array_at(doc: Any, path: str, op: str) -> list[Any]:
    current = _get(doc, path)
    if current is MISSING:
        _put(doc, path, [])
        current = _get(doc, path)
    if not isinstance(current, list):
        raise WriteError(
            f"The field '{path}' must be an array but is of type "
            f"{type(current).__name__} in document; {op} failed",
            code=2,
        )
    return current


def _each(value: Any, op: str, allowed: tuple[str, ...]) -> tuple[list[Any], dict[str, Any]]:
    if isinstance(value, dict) and "$each" in value:
        extra = {k: v for k, v in value.items() if k != "$each"}
        for key in extra:
            if key not in allowed:
                raise WriteError(f"{op} modifier {key} is not supported here", code=2)
        return list(value["$each"]), extra
    return [value], {}


def _push(doc: Any, path: str, value: Any) -> None:
    items, modifiers = _each(value, "$push", ("$slice",))
    array = _array_at(doc, path, "$push")
    array.extend(items)
    if "$slice" in modifiers:
        limit = modifiers["$slice"]
        array[:] = array[:limit] if limit >= 0 else array[limit:]


def _add_to_set(doc: Any, path: str, value: Any) -> None:
    items, _ = _each(value, "$addToSet", ())
    array = _array_at(doc, path, "$addToSet")
    for item in items:
        if not any(equal(item, existing) for existing in array):
            array.append(item)


def _pull(doc: Any, path: str, cond: Any) -> None:
    current = _get(doc, path)
    if current is MISSING:
        return
    if not isinstance(current, list):
        raise WriteError("Cannot apply $pull to a non-array value", code=2)
    current[:] = [item for item in current if not _pull_hits(item, cond)]


def _pull_hits(item: Any, cond: Any) -> bool:
    if is_operator_expression(cond):
        return field_matches([item], cond)
    if isinstance(cond, dict):
        return isinstance(item, dict) and matches(item, cond)
    return equal(item, cond)


def _current_date(doc: Any, path: str, spec: Any) -> None:
    if spec is not True and spec != {"$type": "date"}:
        raise WriteError("$currentDate supports true or {$type: 'date'} only here", code=2)
    _put(doc, path, normalise(datetime.now(timezone.utc)))


_OPERATORS: dict[str, Callable[[Any, str, Any], None]] = {
    "$set": _set,
    "$setOnInsert": _set,
    "$unset": _unset,
    "$inc": _inc,
    "$min": _extreme(lambda new, old: new < old),
    "$max": _extreme(lambda new, old: new > old),
    "$push": _push,
    "$addToSet": _add_to_set,
    "$pull": _pull,
    "$currentDate": _current_date,
}


def upsert_seed(query: Filter) -> dict[str, Any]:
    """The document an upsert starts from: the filter's equality conditions."""
    seed: dict[str, Any] = {}
    _collect_equalities(query or {}, seed)
    return seed


def _collect_equalities(query: Filter, seed: dict[str, Any]) -> None:
    for key, cond in query.items():
        if key == "$and":
            for sub in cond:
                _collect_equalities(sub, seed)
        elif key.startswith("$"):
            continue
        elif is_operator_expression(cond):
            if "$eq" in cond:
                _put(seed, key, normalise(cond["$eq"]))
        else:
            _put(seed, key, normalise(cond))


def give_id(document: dict[str, Any]) -> None:
    """As pymongo does: a document inserted without an `_id` gets one, in the caller's dict."""
    if "_id" not in document:
        document["_id"] = ObjectId()


def with_id(doc: dict[str, Any]) -> dict[str, Any]:
    if "_id" not in doc:
        doc = {"_id": ObjectId(), **doc}
    return doc
