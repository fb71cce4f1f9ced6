"""Query filters: which documents a MongoDB filter selects."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pymongo.errors import OperationFailure

from .codec import MISSING, sort_key, type_rank
from .paths import expand, values_at

Filter = dict[str, Any]


def unsupported(operator: str) -> OperationFailure:
    return OperationFailure(f"unknown operator: {operator}", code=2)


def matches(doc: Any, query: Filter | None) -> bool:
    if not query:
        return True
    if not isinstance(query, dict):
        raise TypeError("filter must be an instance of dict")
    return all(_clause(doc, key, cond) for key, cond in query.items())


def _clause(doc: Any, key: str, cond: Any) -> bool:
    if key.startswith("$"):
        logical = _LOGICAL.get(key)
        if logical is None:
            raise unsupported(key)
        return logical(doc, cond)
    return field_matches(values_at(doc, key), cond)


def _subfilters(cond: Any, op: str) -> list[Filter]:
    if not isinstance(cond, list) or not cond:
        raise OperationFailure(f"{op} argument must be a non-empty array", code=2)
    return cond


_LOGICAL: dict[str, Callable[[Any, Any], bool]] = {
    "$and": lambda doc, c: all(matches(doc, q) for q in _subfilters(c, "$and")),
    "$or": lambda doc, c: any(matches(doc, q) for q in _subfilters(c, "$or")),
    "$nor": lambda doc, c: not any(matches(doc, q) for q in _subfilters(c, "$nor")),
    "$comment": lambda doc, c: True,
}


def is_operator_expression(cond: Any) -> bool:
    return isinstance(cond, dict) and bool(cond) and next(iter(cond)).startswith("$")


def field_matches(values: list[Any], cond: Any) -> bool:
    """Whether the values a path reached satisfy `cond` (a literal or operator expression)."""
    if isinstance(cond, re.Pattern):
        return _regex(values, cond)
    if not is_operator_expression(cond):
        return _eq(values, cond)
    options = cond.get("$options", "")
    for op, arg in cond.items():
        if op == "$options":
            continue
        if op == "$regex":
            if not _regex(values, _compile(arg, options)):
                return False
            continue
        test = _FIELD.get(op)
        if test is None:
            raise unsupported(op)
        if not test(values, arg):
            return False
    return True


def equal(a: Any, b: Any) -> bool:
    return sort_key(a) == sort_key(b)


_NUMBERS = (int, float)


def _eq(values: list[Any], target: Any) -> bool:
    kind = type(target)
    if kind is str:
        return any(type(v) is str and v == target for v in expand(values))
    if kind in _NUMBERS:
        return any(type(v) in _NUMBERS and v == target for v in expand(values))
    if target is None:
        return any(v is None or v is MISSING for v in expand(values))
    key = sort_key(target)
    return any(v is not MISSING and sort_key(v) == key for v in expand(values))


def _compare(predicate: Callable[[Any, Any], bool]) -> Callable[[list[Any], Any], bool]:
    def test(values: list[Any], target: Any) -> bool:
        if type(target) in _NUMBERS:
            return any(type(v) in _NUMBERS and predicate(v, target) for v in expand(values))
        rank, key = type_rank(target), sort_key(target)
        return any(
            type_rank(v) == rank and predicate(sort_key(v), key)
            for v in expand(values)
            if v is not MISSING or target is None
        )

    return test


_string_set: tuple[list[Any], frozenset[str] | None] = ([], None)


def _strings_of(targets: list[Any]) -> frozenset[str] | None:
    """The targets as a set when they are all strings (ids, mostly). The last list is kept
    (a copy, compared at C speed) so a query over many documents builds its set once."""
    global _string_set
    cached_list, cached_set = _string_set
    if cached_list == targets:
        return cached_set
    strings = frozenset(targets) if all(type(t) is str for t in targets) else None
    _string_set = (list(targets), strings)
    return strings


def _in(values: list[Any], targets: Any) -> bool:
    if not isinstance(targets, list):
        raise OperationFailure("$in needs an array", code=2)
    if len(targets) > 4:
        strings = _strings_of(targets)
        if strings is not None:
            return any(type(v) is str and v in strings for v in expand(values))
    return any(_regex(values, t) if isinstance(t, re.Pattern) else _eq(values, t) for t in targets)


def _exists(values: list[Any], wanted: Any) -> bool:
    return any(v is not MISSING for v in values) == bool(wanted)


def _not(values: list[Any], cond: Any) -> bool:
    if not (isinstance(cond, re.Pattern) or is_operator_expression(cond)):
        raise OperationFailure("$not needs a regex or a document", code=2)
    return not field_matches(values, cond)


def _elem_match(values: list[Any], cond: Any) -> bool:
    if not isinstance(cond, dict):
        raise OperationFailure("$elemMatch needs an Object", code=2)
    operators = is_operator_expression(cond)
    for value in values:
        if not isinstance(value, list):
            continue
        for element in value:
            if operators and field_matches([element], cond):
                return True
            if not operators and isinstance(element, dict) and matches(element, cond):
                return True
    return False


def _size(values: list[Any], size: Any) -> bool:
    return any(isinstance(v, list) and len(v) == size for v in values)


def _all(values: list[Any], targets: Any) -> bool:
    if not isinstance(targets, list):
        raise OperationFailure("$all needs an array", code=2)
    return bool(targets) and all(_eq(values, t) for t in targets)


def _compile(pattern: Any, options: str) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    flags = 0
    for letter in options:
        flag = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}.get(letter)
        if flag is None:
            raise OperationFailure(f"invalid flag in regex options: {letter}", code=51108)
        flags |= flag
    return re.compile(pattern, flags)


def _regex(values: list[Any], pattern: re.Pattern[str]) -> bool:
    return any(isinstance(v, str) and pattern.search(v) for v in expand(values))


_FIELD: dict[str, Callable[[list[Any], Any], bool]] = {
    "$eq": _eq,
    "$ne": lambda values, t: not _eq(values, t),
    "$gt": _compare(lambda a, b: a > b),
    "$gte": _compare(lambda a, b: a >= b),
    "$lt": _compare(lambda a, b: a < b),
    "$lte": _compare(lambda a, b: a <= b),
    "$in": _in,
    "$nin": lambda values, t: not _in(values, t),
    "$exists": _exists,
    "$not": _not,
    "$elemMatch": _elem_match,
    "$size": _size,
    "$all": _all,
}
