"""A thin wrapper over pymongo's Database: a connection failure becomes `Unavailable`.

pymongo raises `ConnectionFailure` (server selection, connect and socket timeouts, pool
waits) from a call or, for cursors, from iteration. Unwrapped, that is an unexpected fault
answered INTERNAL; wrapped, the caller gets UNAVAILABLE (503) within the client's timeouts,
which stay below the function's (docs/mongodb-connections.md), and can retry: every write
is conditional, so a retry applies once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.command_cursor import CommandCursor
from pymongo.cursor import Cursor
from pymongo.database import Database
from pymongo.errors import ConnectionFailure
from pymongo.mongo_client import MongoClient

from .errors import Reason, Unavailable
from .logs import log

STORE_TYPES = (Database, Collection, Cursor, CommandCursor, ClientSession, MongoClient)


def _unavailable(exc: ConnectionFailure) -> Unavailable:
    log("store_unavailable", "WARNING", error=type(exc).__name__)
    return Unavailable(
        "the database did not answer in time; retry", reason=Reason.STORE_UNREACHABLE
    )


class Guarded:
    """Delegates everything to a pymongo object, translating connection failures."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        return _wrap(getattr(self._target, name))

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._target[key])

    def __iter__(self) -> Iterator[Any]:
        iterator = iter(self._target)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except ConnectionFailure as exc:
                raise _unavailable(exc) from None
            yield item

    def __next__(self) -> Any:
        try:
            return next(self._target)
        except ConnectionFailure as exc:
            raise _unavailable(exc) from None

    def __enter__(self) -> Guarded:
        self._target.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        return self._target.__exit__(*exc_info)

    def close(self) -> None:
        """Close the client's pool, as the embedded engine's `close()` closes its file."""
        self._target.client.close()

    def __repr__(self) -> str:
        return f"Guarded({self._target!r})"


def _unwrap(value: Any) -> Any:
    return object.__getattribute__(value, "_target") if isinstance(value, Guarded) else value


def _wrap(value: Any) -> Any:
    if isinstance(value, STORE_TYPES):  # before callable(): Collection defines __call__
        return Guarded(value)
    if callable(value):
        return _guard_call(value)
    return value


def _guard_call(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            result = function(
                *(_unwrap(a) for a in args), **{k: _unwrap(v) for k, v in kwargs.items()}
            )
        except ConnectionFailure as exc:
            raise _unavailable(exc) from None
        return _wrap(result)

    return call


def guarded(database: Any) -> Guarded:
    """`database` (a pymongo Database) behind the translation."""
    return Guarded(database)
