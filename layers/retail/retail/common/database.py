"""The process-wide database handle: one connection pool per warm function instance."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from retail.store import connect

from .settings import settings


@lru_cache(maxsize=1)
def database() -> Any:
    """The database named by RETAIL_DB_URI, opened once per process and reused while warm."""
    return connect(settings().RETAIL_DB_URI)


def reset_database() -> None:
    database.cache_clear()
