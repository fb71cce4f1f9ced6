"""The document store: `connect(uri)` gives a database object with the pymongo API.

`sqlite:///path.db` opens the embedded engine (the default on one machine);
`mongodb://` and `mongodb+srv://` open MongoDB through pymongo itself, with the client
options an SCF instance needs (`mongo_options`; docs/mongodb-connections.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import pymongo
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from pymongo.read_concern import ReadConcern
from pymongo.results import UpdateResult
from pymongo.write_concern import WriteConcern

Db: TypeAlias = Database[dict[str, Any]]
"""The database every domain function takes: pymongo's own type, so mypy checks each call
against the production driver. The embedded engine claims the same API (the conformance
suite holds it to that) and is typed as it."""
Documents: TypeAlias = Collection[dict[str, Any]]
"""One collection of a `Db`."""

DEFAULT_URI = "sqlite:///.data/retail.db"
DUPLICATE_KEY = 11000  # the code of a write a unique index refused, in a bulk write's errors
DEFAULT_DATABASE = "retail"


@dataclass(frozen=True)
class MongoLimits:
    """Timeouts (ms) and pool size for one SCF instance; every timeout stays below the
    function's own, so an unreachable server is answered, not killed by SCF."""

    server_selection_ms: int = 2000
    connect_ms: int = 2000
    socket_ms: int = 8000
    max_pool_size: int = 4


def mongo_options(limits: MongoLimits) -> dict[str, Any]:
    """MongoClient keyword options: pymongo's defaults (30 s selection, 20 s connect, no
    socket timeout, 100 connections) are longer and larger than an SCF instance can use."""
    return {
        "tz_aware": True,
        "connect": False,
        "serverSelectionTimeoutMS": limits.server_selection_ms,
        "connectTimeoutMS": limits.connect_ms,
        "socketTimeoutMS": limits.socket_ms,
        "maxPoolSize": limits.max_pool_size,
        "minPoolSize": 0,
        "maxIdleTimeMS": 60_000,
        "retryWrites": True,
        "retryReads": True,
        "w": "majority",  # money and stock; RELAXED_WRITES below are the exceptions
        # Every conditional update reads what it names on the primary, never a secondary.
        "readPreference": "primary",
        # pymongo streams server monitoring (an extra socket per member) unless it sees a FaaS
        # platform, and its list (pool_options._is_faas: Lambda, Azure, GCP, Vercel) lacks SCF.
        "serverMonitoringMode": "poll",
        "appname": "retail-scf",
    }


def connect(uri: str = DEFAULT_URI, limits: MongoLimits | None = None) -> Db:
    """A pymongo-compatible database for `uri`. Raises ValueError for an unknown scheme."""
    if uri.startswith("sqlite:///"):
        return _open_embedded(uri[len("sqlite:///") :])
    if uri.startswith(("mongodb://", "mongodb+srv://")):
        from pymongo import MongoClient

        client: MongoClient[Any] = MongoClient(uri, **mongo_options(limits or MongoLimits()))
        return client.get_default_database(DEFAULT_DATABASE)
    raise ValueError(
        f"unsupported database URI scheme: {uri.split(':', 1)[0]!r} "
        "(use sqlite:///path or mongodb://...)"
    )


# Collections whose writes a failover may lose without harm, written with w:1 (acknowledged
# by the primary alone): the per-minute rate windows (a lost count lets a caller one more
# call), the metrics counters (an approximate dashboard) and the tracking events (behaviour
# analytics, sampled anyway). Everything else, money and stock first, waits for a majority.
RELAXED_WRITES = frozenset({"rate_windows", "metrics", "events"})
# For a write that must never be rolled back whatever its collection's concern (an erasure).
MAJORITY = WriteConcern(w="majority")


ANSWER_MARGIN_SECONDS = 1.0  # of the function's time, kept to answer once the store gives up


@contextmanager
def store_deadline(seconds: float | None) -> Iterator[None]:
    """Every MongoDB operation inside ends within `seconds`, its retries included (pymongo's
    client-side operation timeout: each operation gets what is left, and a retryable one is
    retried while time remains, e.g. across a primary election); past it, the operation
    raises a timeout the store guard answers UNAVAILABLE. None: the client's own timeouts.
    The embedded engine does not wait on a network and ignores it."""
    if seconds is None:
        yield
        return
    with pymongo.timeout(max(seconds, 0.05)):
        yield


def majority_reads(db: Db) -> Db:
    """`db` reading only what a majority has written: for the timers that act on WeChat Pay
    (reconcile, expiry), so they never close, refund or cancel on the strength of a write
    that a failover then rolls back. (The embedded engine has one copy: always so.)"""
    return db.with_options(read_concern=ReadConcern("majority"))


def _open_embedded(path: str) -> Db:
    """The embedded engine: development's store, which the deployed layer does not carry
    (package retail_dev, beside the layer; `make dev` installs it)."""
    try:
        from retail_dev.embedded import EmbeddedDatabase
    except ModuleNotFoundError as exc:
        if exc.name not in ("retail_dev", "retail_dev.embedded"):
            raise
        raise ValueError(
            "sqlite:/// opens the embedded engine, a development store that is not deployed; "
            "set RETAIL_DB_URI to mongodb://..."
        ) from exc
    return cast(Db, EmbeddedDatabase(path))


def upsert_where(
    documents: Documents, where: Mapping[str, Any], update: Mapping[str, Any]
) -> UpdateResult | None:
    """`update` on the document `where` names, made if it is absent; None when it exists and
    a condition of `where` besides `_id` refuses it (the upsert's insert then meets its `_id`).

    MongoDB retries an upsert's duplicate key itself only when the key matches the query
    exactly, i.e. the filter is equality on the unique index's fields alone (SERVER-14322,
    SERVER-37124). With a condition beside `_id`, two first writers at once both find nothing
    and both insert; the loser's insert fails. Its write then goes, under the same condition,
    to the document the winner made, as the manual's "Use Unique Indexes" advises: retried,
    it "will succeed as an update operation"."""
    try:
        return documents.update_one(where, update, upsert=True)
    except DuplicateKeyError:
        again = documents.update_one(where, update)
        return again if again.matched_count else None


def upserted(document: dict[str, Any] | None) -> dict[str, Any]:
    """The document an upsert returned with `ReturnDocument.AFTER`: it exists by then, though
    pymongo types every `find_one_and_update` answer as optional."""
    if document is None:
        raise RuntimeError("an upsert answered no document")
    return document
