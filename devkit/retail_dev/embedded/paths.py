"""Dotted-path reads with MongoDB's implicit traversal of arrays."""

from __future__ import annotations

from typing import Any

from .codec import MISSING


def values_at(node: Any, path: str) -> list[Any]:
    """Every value `path` reaches in `node`; [MISSING] when it reaches none.

    `a.b` on `{"a": [{"b": 1}, {"b": 2}]}` reaches 1 and 2; a numeric part indexes an array.
    """
    if "." not in path and isinstance(node, dict):  # the common case, without the walk
        return [node.get(path, MISSING)]
    return _walk(node, path.split("."))


def _walk(node: Any, parts: list[str]) -> list[Any]:
    if not parts:
        return [node]
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        return _walk(node[head], rest) if head in node else [MISSING]
    if isinstance(node, list):
        found: list[Any] = []
        if head.isdigit() and int(head) < len(node):
            found += _walk(node[int(head)], rest)
        for element in node:
            if isinstance(element, dict):
                found += [v for v in _walk(element, parts) if v is not MISSING]
        return found or [MISSING]
    return [MISSING]


def expand(values: list[Any]) -> list[Any]:
    """Each value, and for arrays each element too: how MongoDB compares array fields."""
    out: list[Any] = []
    for value in values:
        out.append(value)
        if isinstance(value, list):
            out.extend(value)
    return out
