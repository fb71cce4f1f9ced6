"""Collection scans, reported as they happen: the embedded engine's counterpart of the COLLSCAN
plan MongoDB writes to its slow-query log.

A query that no index serves costs what the whole collection holds, so on a shop with a year
of history it is a defect. Whoever wants to know (the dev gateway's log, the test suite's scan
guard) listens; with nobody listening a scan costs one list check.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

_ENGINE = str(Path(__file__).resolve().parent)  # the engine's own frames


@dataclass(frozen=True)
class Scan:
    """One read of every row of `collection`: the query's shape (values left out) and the
    first frames outside the store that asked for it, innermost first."""

    collection: str
    shape: str
    callers: tuple[str, ...]


ScanListener = Callable[[Scan], None]
_listeners: list[ScanListener] = []


def listen(listener: ScanListener) -> Callable[[], None]:
    """Call `listener` on every scan from now on; returns the function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def report(collection: str, query: dict[str, Any]) -> None:
    if not _listeners:
        return
    scan = Scan(collection, shape_of(query), _callers())
    for listener in list(_listeners):
        listener(scan)


def shape_of(query: Any) -> str:
    """The query with its values replaced by `?`: what an index has to serve."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: strip(value) if key.startswith("$") or isinstance(value, dict) else "?"
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [strip(item) for item in node[:3]]
        return "?"

    return repr(strip(query))


def _callers(depth: int = 4) -> tuple[str, ...]:
    frames: list[str] = []
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and len(frames) < depth:
        filename = frame.f_code.co_filename
        if not filename.startswith(_ENGINE):
            frames.append(f"{filename}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    return tuple(frames)
