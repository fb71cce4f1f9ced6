"""The store the races run on: the embedded engine always, and a real MongoDB when
RETAIL_TEST_MONGODB_URI names one (skipped, never faked, without it). On MongoDB the
store-level races' documents carry a run id of their own (`run`) and are removed after; a
gateway's shop gets a database of its own (`gateway_store`), dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.mongo_server import MONGODB_URI, NO_SERVER, STORES, fresh_database


@pytest.fixture(params=["embedded", "mongodb"])
def store_uri(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "embedded":
        yield f"sqlite:///{tmp_path}/races.db"
        return
    if not MONGODB_URI:
        pytest.skip(NO_SERVER)
    yield MONGODB_URI


@pytest.fixture
def run() -> str:
    """An id of this test run, prefixed to its documents' ids."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(params=STORES)
def gateway_store(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """What a test's dev gateway stores its shop in: None for the embedded engine (the
    gateway's own file), or a fresh database on the real MongoDB."""
    if request.param == "embedded":
        yield None
        return
    with fresh_database("retail_races") as uri:
        yield uri
