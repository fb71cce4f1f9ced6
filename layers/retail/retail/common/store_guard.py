"""A thin wrapper over pymongo's Database: a connection failure becomes `Unavailable`, and
the collections a failover may lose writes of (store.RELAXED_WRITES) are written with w:1.

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
from pymongo.errors import BulkWriteError, ConnectionFailure, PyMongoError
from pymongo.mongo_client import MongoClient
from pymongo.write_concern import WriteConcern

from retail.store import RELAXED_WRITES

from .errors import Reason, Unavailable
from .logs import log

STORE_TYPES = (Database, Collection, Cursor, CommandCursor, ClientSession, MongoClient)


RETRY_AFTER_SECONDS = 5  # a replica set elects a new primary in seconds (median under 12)


def _unavailable(exc: PyMongoError) -> Unavailable:
    log("store_unavailable", "WARNING", error=type(exc).__name__)
    return Unavailable(
        "the database did not answer in time; retry",
        reason=Reason.STORE_UNREACHABLE,
        retry_after_seconds=RETRY_AFTER_SECONDS,
    )


def _unanswered(exc: PyMongoError) -> bool:
    """No answer came: the server could not be reached, or the invocation's deadline
    (store.store_deadline) passed, whatever pymongo was waiting for. A bulk write's error
    goes to its caller whole, which reads what each write did (settlement.claims)."""
    if isinstance(exc, BulkWriteError):
        return False
    return isinstance(exc, ConnectionFailure) or exc.timeout


class Guarded:
    """Delegates everything to a pymongo object, translating connection failures."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        if isinstance(self._target, Database) and name in RELAXED_WRITES:
            return self[name]
        if isinstance(self._target, Database) and name == "get_collection":
            return self._collection
        return _wrap(getattr(self._target, name))

    def _collection(self, name: str, **options: Any) -> Guarded:
        """`get_collection`, with the relaxed write concern where it applies."""
        if name in RELAXED_WRITES and "write_concern" not in options:
            options["write_concern"] = WriteConcern(w=1)
        return Guarded(self._target.get_collection(name, **options))

    def __getitem__(self, key: Any) -> Any:
        if isinstance(self._target, Database) and key in RELAXED_WRITES:
            return Guarded(self._target.get_collection(key, write_concern=WriteConcern(w=1)))
        return _wrap(self._target[key])

    def __iter__(self) -> Iterator[Any]:
        iterator = iter(self._target)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except PyMongoError as exc:
                if _unanswered(exc):
                    raise _unavailable(exc) from None
                raise
            yield item

    def __next__(self) -> Any:
        try:
            return next(self._target)
        except PyMongoError as exc:
            if _unanswered(exc):
                raise _unavailable(exc) from None
            raise

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
        except PyMongoError as exc:
            if _unanswered(exc):
                raise _unavailable(exc) from None
            raise
        return _wrap(result)

    return call


def guarded(database: Any) -> Guarded:
    """`database` (a pymongo Database) behind the translation."""
    return Guarded(database)
