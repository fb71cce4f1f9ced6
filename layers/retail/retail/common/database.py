"""The process-wide database handle: one client (one small pool) per warm function instance.

On MongoDB the handle is wrapped so that a server that does not answer within the client's
timeouts becomes a typed UNAVAILABLE answer (HTTP 503) instead of an unexpected fault.
"""

from __future__ import annotations

from functools import lru_cache
from typing import cast

from retail.store import Db, MongoLimits, connect

from .settings import MONGO_SCHEMES, Settings, settings


def mongo_limits(config: Settings) -> MongoLimits:
    return MongoLimits(
        server_selection_ms=config.RETAIL_DB_SERVER_SELECTION_TIMEOUT_MS,
        connect_ms=config.RETAIL_DB_CONNECT_TIMEOUT_MS,
        socket_ms=config.RETAIL_DB_SOCKET_TIMEOUT_MS,
        max_pool_size=config.RETAIL_DB_MAX_POOL_SIZE,
    )


@lru_cache(maxsize=1)
def database() -> Db:
    """The database named by RETAIL_DB_URI, opened once per process and reused while warm.
    Raises ConfigurationError (naming RETAIL_DB_URI) when production has no real store."""
    config = settings()
    uri = config.store_uri
    if uri.startswith(MONGO_SCHEMES):
        from .store_guard import guarded  # pymongo's classes: loaded only for MongoDB

        return cast(Db, guarded(connect(uri, mongo_limits(config))))  # same API, translated
    return connect(uri)


def reset_database() -> None:
    database.cache_clear()
