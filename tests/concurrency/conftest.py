"""The store the store-level races run on: the embedded engine always, and a real MongoDB
when RETAIL_TEST_MONGODB_URI names one (skipped, never faked, without it). On MongoDB each
test's documents carry a run id of their own (`run`) and are removed after."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest


@pytest.fixture(params=["embedded", "mongodb"])
def store_uri(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "embedded":
        yield f"sqlite:///{tmp_path}/races.db"
        return
    server = os.environ.get("RETAIL_TEST_MONGODB_URI")
    if not server:
        pytest.skip("RETAIL_TEST_MONGODB_URI is not set: no real MongoDB to check against")
    yield server


@pytest.fixture
def run() -> str:
    """An id of this test run, prefixed to its documents' ids."""
    return uuid.uuid4().hex[:12]
