"""One conformance suite, three engines: the embedded one, mongomock as the reference for
MongoDB semantics, and a real MongoDB when RETAIL_TEST_MONGODB_URI names one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from retail.store import connect

MONGODB_URI = os.environ.get("RETAIL_TEST_MONGODB_URI")
ENGINES = ["embedded", "mongomock", "mongodb"]


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    engine = request.param
    if engine == "embedded":
        database = connect(f"sqlite:///{tmp_path}/conformance.db")
        yield database
        database.close()
    elif engine == "mongomock":
        import mongomock

        yield mongomock.MongoClient(tz_aware=True)["conformance"]
    else:
        if not MONGODB_URI:
            pytest.skip("RETAIL_TEST_MONGODB_URI is not set: no real MongoDB to check against")
        from pymongo import MongoClient

        from retail.common.store_guard import guarded
        from retail.store import MongoLimits, mongo_options

        # As production opens it (retail.store.connect, common.database): the same client
        # options (timeouts, write and read concerns, monitoring) and the same guard.
        client: MongoClient[Any] = MongoClient(MONGODB_URI, **mongo_options(MongoLimits()))
        name = f"retail_conformance_{uuid.uuid4().hex[:12]}"
        yield guarded(client[name])
        client.drop_database(name)
        client.close()


def skip_on_mongomock(db: Any, gap: str) -> None:
    """For a MongoDB behaviour mongomock does not model; the other engines still check it."""
    if type(db).__module__.startswith("mongomock"):
        pytest.skip(f"mongomock does not model {gap}")
