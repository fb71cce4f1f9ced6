"""Does a stored order match its declaration (retail.orders.document.Order)? Every key named
there, at every depth, and every value of its declared type: mypy checks the code against the
declaration, this checks the declaration against what the code really stores."""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any, get_args, get_origin, get_type_hints

from pydantic import TypeAdapter, ValidationError
from typing_extensions import is_typeddict

from retail.orders.document import Order


@cache
def _adapter() -> TypeAdapter[Order]:
    return TypeAdapter(Order)


def order_problems(order: dict[str, Any]) -> list[str]:
    """What in `order` its declaration does not allow; [] when it matches."""
    problems = _undeclared(Order, order, "")
    try:
        _adapter().validate_python(order)
    except ValidationError as exc:
        problems += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return problems


def _undeclared(kind: Any, value: Any, where: str) -> list[str]:
    if is_typeddict(kind) and isinstance(value, dict):
        hints = get_type_hints(kind)
        found = [f"{where}{key}: not declared" for key in value if key not in hints]
        for key, item in value.items():
            if key in hints:
                found += _undeclared(hints[key], item, f"{where}{key}.")
        return found
    origin = get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return min((_undeclared(arm, value, where) for arm in get_args(kind)), key=len, default=[])
    if origin is list and isinstance(value, list):
        (item_kind,) = get_args(kind)
        return [p for item in value for p in _undeclared(item_kind, item, f"{where}[].")]
    if origin is dict and isinstance(value, dict):
        _, item_kind = get_args(kind)
        return [
            p for k, item in value.items() for p in _undeclared(item_kind, item, f"{where}{k}.")
        ]
    return []
