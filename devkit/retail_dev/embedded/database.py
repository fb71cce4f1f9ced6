"""The embedded database: one SQLite file in WAL mode, one connection per thread and process.

Every write runs in `BEGIN IMMEDIATE`, so a filter and its update are one atomic step across
threads and processes; readers never block writers. The schema (collections and indexes) is
re-read whenever another process changes it (`PRAGMA schema_version`).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pymongo.errors import OperationFailure

from . import ttl
from .codec import loads
from .indexes import IndexSpec
from .oneshot import SchemaChanged, one_statement_hook

BUSY_TIMEOUT_SECONDS = 30.0
READ_SCHEMA_RECHECK_SECONDS = 1.0
META_TABLE = "_indexes"
MULTIKEY_TABLE = "_multikey"


_OPEN_DATABASES: weakref.WeakSet[EmbeddedDatabase] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A forked child must open its own SQLite connections, never reuse its parent's."""
    for database in list(_OPEN_DATABASES):
        database._forget_connections()


os.register_at_fork(after_in_child=_after_fork_in_child)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def docs_table(collection: str) -> str:
    return quote("c:" + collection)


def index_table(collection: str, index: str) -> str:
    return quote(f"i:{collection}:{index}")


class EmbeddedDatabase:
    """A pymongo-like Database over one SQLite file."""

    def __init__(self, path: str | Path, name: str = "retail") -> None:
        self.path = Path(path)
        self.name = name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self.schema_version = -1
        self._checked_at = 0.0
        self._tables: set[str] = set()
        self._indexes: dict[str, list[IndexSpec]] = {}
        self._collections: dict[str, Any] = {}
        self._expired_at = 0.0
        _OPEN_DATABASES.add(self)
        self.connection().execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (collection TEXT, "
            "name TEXT, spec TEXT, PRIMARY KEY (collection, name))"
        )
        self.connection().execute(  # MongoDB's multikey flag: set once a document has an array
            f"CREATE TABLE IF NOT EXISTS {MULTIKEY_TABLE} (collection TEXT, "
            "name TEXT, PRIMARY KEY (collection, name))"
        )

    # connections and transactions

    def connection(self) -> sqlite3.Connection:
        local = self._local
        if not hasattr(local, "conn"):
            local.conn = self._connect(BUSY_TIMEOUT_SECONDS)
            local.turn = open(f"{self.path}-writers", "a")  # noqa: SIM115 - lives with conn
        return local.conn  # type: ignore[no-any-return]

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        """A connection whose statements wait `busy_timeout` for a lock; opening it waits the
        usual time whatever that is (switching to WAL takes a lock another writer may hold)."""
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        conn.create_function(
            "retail_rewrite", 2, one_statement_hook(self._local), deterministic=False
        )
        return conn

    def write_statement(self, sql: str, parameters: tuple[Any, ...]) -> sqlite3.Cursor:
        """One write statement on its own (the one-statement path): tried at once, and if
        another writer has the lock, run in this process's turn like a transaction. SQLite
        takes the write lock before it reads a row, so a refused attempt changed nothing and
        called no hook."""
        self.connection()
        local = self._local
        if not hasattr(local, "eager"):
            local.eager = self._connect(0.0)
        try:
            return local.eager.execute(sql, parameters)  # type: ignore[no-any-return]
        except sqlite3.OperationalError as exc:
            _raise_if_dropped(exc)
            if not str(exc).startswith("database is locked"):
                raise
        with self.writer_turn() as conn:
            try:
                return conn.execute(sql, parameters)
            except sqlite3.OperationalError as exc:
                _raise_if_dropped(exc)
                raise

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction, with the schema re-read inside the write lock; then,
        once a minute, the TTL indexes' pass (ttl.py)."""
        with self.writer_turn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self.refresh(conn)
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self.forget_created()
            conn.execute("COMMIT")
            if time.monotonic() - self._expired_at >= ttl.PERIOD_SECONDS:
                self._expire(conn)

    def expire_now(self) -> int:
        """The TTL pass, now (the dev gateway's and tests' way to see it happen)."""
        with self.writer_turn() as conn:
            return self._expire(conn)

    def _expire(self, conn: sqlite3.Connection) -> int:
        """The TTL pass in the caller's turn; the documents deleted (none if it failed: the
        next pass deletes them)."""
        self._expired_at = time.monotonic()
        try:
            conn.execute("BEGIN IMMEDIATE")
            self.refresh(conn)
            removed = ttl.expire(self, conn)
            conn.execute("COMMIT")
        except Exception:  # noqa: BLE001 - the write it follows is committed: never fail it
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return 0
        return removed

    @contextmanager
    def writer_turn(self) -> Iterator[sqlite3.Connection]:
        """Wait for this process's turn to write, queued in the kernel on a lock file.

        SQLite lets a blocked writer sleep and poll (1, 2, 5 ... 100 ms), which under contention
        gives long tail latencies; a waiter on flock wakes as soon as the lock is released.
        SQLite's own locking still guarantees atomicity; this only orders the waiting.
        """
        conn = self.connection()
        turn = self._local.turn
        fcntl.flock(turn, fcntl.LOCK_EX)
        try:
            yield conn
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)

    def local_rewrite(self, job: Any) -> Any:
        """Hand `job` to this thread's retail_rewrite() SQL function for the next statement."""
        self._local.rewrite = job
        return job

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.turn.close()
        eager = getattr(self._local, "eager", None)
        if eager is not None:
            eager.close()
        self._forget_connections()

    def _forget_connections(self) -> None:
        self._local = threading.local()

    # schema

    def refresh_for_read(self, conn: sqlite3.Connection, collection: str) -> None:
        """Reads may plan with a schema up to a second old: a new index is just not used yet.
        An unknown collection is re-checked at once (it may have just been created)."""
        stale = time.monotonic() - self._checked_at > READ_SCHEMA_RECHECK_SECONDS
        if stale or collection not in self._tables:
            self.refresh(conn)

    def schema_changed_here(self) -> None:
        """This process changed the schema: its next read re-reads it, whatever its age."""
        self._checked_at = 0.0

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Reload collections and indexes if any process changed the schema; once per operation."""
        self._checked_at = time.monotonic()
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        if version == self.schema_version:
            return
        with self._lock:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            tables = {name[2:] for (name,) in rows if name.startswith("c:")}
            indexes: dict[str, list[IndexSpec]] = {}
            for collection, name, spec in conn.execute(
                f"SELECT * FROM {META_TABLE} ORDER BY rowid"
            ):
                raw = loads(spec)
                indexes.setdefault(collection, []).append(
                    IndexSpec(
                        name,
                        tuple((k, d) for k, d in raw["keys"]),
                        raw["unique"],
                        raw["sparse"],
                        raw["partial"],
                        raw.get("expire_after"),
                    )
                )
            self._tables, self._indexes, self.schema_version = tables, indexes, version

    def has_collection(self, name: str) -> bool:
        """Known to the schema, or created by the write transaction in progress on this
        thread (a batch's second upsert into a new collection sees its first's document)."""
        return name in self._tables or name in getattr(self._local, "created", ())

    def forget_created(self, conn: sqlite3.Connection | None = None) -> None:
        """The transaction that created collections ended: the schema, re-read, knows what
        stands. With `conn`, a savepoint was undone inside it: only the collections it still
        holds are kept."""
        created: set[str] = getattr(self._local, "created", set())
        if conn is not None and created:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
            self._local.created = created & {name[2:] for (name,) in rows}
            return
        self._local.created = set()

    def index_specs(self, name: str) -> list[IndexSpec]:
        return self._indexes.get(name, [])

    def all_index_specs(self) -> dict[str, list[IndexSpec]]:
        return dict(self._indexes)

    def ensure_collection(self, conn: sqlite3.Connection, name: str) -> None:
        if not self.has_collection(name):
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {docs_table(name)} "
                "(id PRIMARY KEY NOT NULL, doc TEXT NOT NULL)"
            )
            if not hasattr(self._local, "created"):
                self._local.created = set()
            self._local.created.add(name)

    # the pymongo Database surface

    def get_collection(self, name: str) -> Any:
        from .collection import EmbeddedCollection

        if not isinstance(name, str) or not name or "$" in name or "\x00" in name:
            raise ValueError(f"invalid collection name: {name!r}")
        if name not in self._collections:
            self._collections[name] = EmbeddedCollection(self, name)
        return self._collections[name]

    def __getitem__(self, name: str) -> Any:
        return self.get_collection(name)

    def with_options(self, **_: Any) -> EmbeddedDatabase:
        """Read and write concerns and preferences: one copy, written in order, so every
        read already sees every acknowledged write and nothing is rolled back."""
        return self

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get_collection(name)

    def list_collection_names(self) -> list[str]:
        self.refresh(self.connection())
        return sorted(self._tables)

    def drop_collection(self, name: str) -> None:
        with self.write() as conn:
            for spec in self.index_specs(name):
                conn.execute(f"DROP TABLE IF EXISTS {index_table(name, spec.name)}")
            conn.execute(f"DELETE FROM {META_TABLE} WHERE collection = ?", (name,))
            conn.execute(f"DROP TABLE IF EXISTS {docs_table(name)}")
        self.schema_changed_here()

    def command(self, command: str | dict[str, Any]) -> dict[str, Any]:
        name = command if isinstance(command, str) else next(iter(command))
        if name == "ping":
            return {"ok": 1.0}
        raise OperationFailure(f"no such command: '{name}'", code=59)

    def __repr__(self) -> str:
        return f"EmbeddedDatabase({str(self.path)!r})"


def _raise_if_dropped(exc: sqlite3.OperationalError) -> None:
    if str(exc).startswith("no such table"):
        raise SchemaChanged(str(exc)) from exc
