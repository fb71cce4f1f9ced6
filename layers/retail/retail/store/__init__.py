"""The document store: `connect(uri)` gives a database object with the pymongo API.

`sqlite:///path.db` opens the embedded engine (the default on one machine);
`mongodb://` and `mongodb+srv://` open MongoDB through pymongo itself, with the client
options an SCF instance needs (`mongo_options`; docs/mongodb-connections.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_URI = "sqlite:///.data/retail.db"
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
        "w": "majority",
        "appname": "retail-scf",
    }


def connect(uri: str = DEFAULT_URI, limits: MongoLimits | None = None) -> Any:
    """A pymongo-compatible database for `uri`. Raises ValueError for an unknown scheme."""
    if uri.startswith("sqlite:///"):
        from .embedded import EmbeddedDatabase

        return EmbeddedDatabase(uri[len("sqlite:///") :])
    if uri.startswith(("mongodb://", "mongodb+srv://")):
        from pymongo import MongoClient

        client: MongoClient[Any] = MongoClient(uri, **mongo_options(limits or MongoLimits()))
        return client.get_default_database(DEFAULT_DATABASE)
    raise ValueError(
        f"unsupported database URI scheme: {uri.split(':', 1)[0]!r} "
        "(use sqlite:///path or mongodb://...)"
    )
