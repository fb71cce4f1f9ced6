"""The features of each store operation the tests make: the method, its options, and the
query and update operators with the paths they name. Every feature the function tests use
must be one the conformance suite checks on each engine (tests/store/test_conformance_*.py):
an operation the domain relies on that the suite never runs may be answered differently by
the embedded engine than by MongoDB, unseen (issue 32 §4). The root conftest records both
and fails a whole run in which the function tests used a feature the suite did not."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_POSITIONAL = re.compile(r"\.\d+(\.|$)")
_FLAGS = ("upsert", "projection", "sort", "limit", "skip", "return_document", "array_filters")
_UPDATES = ("update_one", "update_many", "find_one_and_update")


def features_of(method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> set[str]:
    """The method, `<method> +<option>` for each option that changes what MongoDB does, and
    `filter <op>` / `update <op>` for the operators (a query or update operator behaves the
    same whichever method carries it)."""
    found = {method}
    where = args[0] if args else kwargs.get("filter")
    found |= {f"filter {op}" for op in _query_operators(where)}
    change = args[1] if len(args) > 1 and method in _UPDATES else kwargs.get("update")
    if isinstance(change, Mapping):
        found |= {f"update {op}" for op in _update_operators(change)}
    flags = {name for name in _FLAGS if kwargs.get(name) not in (None, False)}
    if method == "find" and len(args) > 1 and args[1]:
        flags.add("projection")
    return found | {f"{method} +{flag}" for flag in flags}


def _query_operators(value: Any) -> set[str]:
    """The query operators in a filter, and whether it names dotted or positional paths."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key.startswith("$"):
                found.add(key)
            elif _POSITIONAL.search(key):
                found.add("positional")
            elif "." in key:
                found.add("dotted")
            found |= _query_operators(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _query_operators(inner)
    return found


def _update_operators(change: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for operator, fields in change.items():
        found.add(operator)
        if isinstance(fields, Mapping):
            if any("." in str(path) for path in fields):
                found.add(f"{operator}:dotted")
            if any(isinstance(v, Mapping) and "$each" in v for v in fields.values()):
                found.add(f"{operator}:$each")
    return found


GROUPS = (("tests/store/test_conformance", "conformance"), ("tests/functions/", "functions"))


class Recorder:
    """What the embedded engine was asked, by which part of the suite."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {"conformance": set(), "functions": set()}
        self.group: str | None = None
        self.depth = 0

    def install(self) -> None:
        from retail_dev.embedded import TRIPS
        from retail_dev.embedded.collection import EmbeddedCollection

        for name in TRIPS:
            real = getattr(EmbeddedCollection, name, None)
            if real is not None:
                setattr(EmbeddedCollection, name, self._recording(name, real))

    def _recording(self, name: str, real: Any) -> Any:
        def recorded(collection: Any, *args: Any, **kwargs: Any) -> Any:
            if self.group is not None and not self.depth:  # the engine's own calls aside
                self.seen[self.group] |= features_of(name, args, kwargs)
            self.depth += 1
            try:
                return real(collection, *args, **kwargs)
            finally:
                self.depth -= 1

        return recorded

    def enter(self, nodeid: str) -> None:
        self.group = next((group for path, group in GROUPS if nodeid.startswith(path)), None)

    def uncovered(self) -> list[str]:
        """Features the function tests used and the conformance suite did not check."""
        return sorted(self.seen["functions"] - self.seen["conformance"])
