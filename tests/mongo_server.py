"""The real MongoDB the suites check against when RETAIL_TEST_MONGODB_URI names one: each
user gets a database of its own, dropped afterwards. Without the setting those cases are
skipped, never faked (no server can run on the development machine)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

MONGODB_URI = os.environ.get("RETAIL_TEST_MONGODB_URI")
NO_SERVER = "RETAIL_TEST_MONGODB_URI is not set: no real MongoDB to check against"
# A store fixture's params: the embedded engine always, a real MongoDB when one is named.
STORES = ["embedded", "mongodb"]


def with_database(uri: str, name: str) -> str:
    """The URI naming database `name` (its options kept)."""
    base, _, options = uri.partition("?")
    scheme, _, rest = base.partition("://")
    hosts = rest.split("/", 1)[0]
    return f"{scheme}://{hosts}/{name}" + (f"?{options}" if options else "")


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """The URI of a new database on the test server (skips without one), dropped after."""
    if not MONGODB_URI:
        pytest.skip(NO_SERVER)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        yield with_database(MONGODB_URI, name)
    finally:
        from pymongo import MongoClient

        with MongoClient(MONGODB_URI) as client:
            client.drop_database(name)
