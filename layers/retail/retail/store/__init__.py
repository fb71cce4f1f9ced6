"""The document store: `connect(uri)` gives a database object with the pymongo API.

`sqlite:///path.db` opens the embedded engine (the default on one machine);
`mongodb://` and `mongodb+srv://` open MongoDB through pymongo itself.
"""

from __future__ import annotations

from typing import Any

DEFAULT_URI = "sqlite:///.data/retail.db"
DEFAULT_DATABASE = "retail"


def connect(uri: str = DEFAULT_URI) -> Any:
    """A pymongo-compatible database for `uri`. Raises ValueError for an unknown scheme."""
    if uri.startswith("sqlite:///"):
        from .embedded import EmbeddedDatabase

        return EmbeddedDatabase(uri[len("sqlite:///") :])
    if uri.startswith(("mongodb://", "mongodb+srv://")):
        from pymongo import MongoClient

        client: MongoClient[Any] = MongoClient(uri, tz_aware=True, connect=False)
        return client.get_default_database(DEFAULT_DATABASE)
    raise ValueError(
        f"unsupported database URI scheme: {uri.split(':', 1)[0]!r} "
        "(use sqlite:///path or mongodb://...)"
    )
