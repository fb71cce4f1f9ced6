"""The faults run on the embedded engine always, and on a real MongoDB when
RETAIL_TEST_MONGODB_URI names one (skipped, never faked, without it): a database of the
test's own, as production opens it, with init_db's indexes (the `db` fixture)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retail.common.database import database
from tests.conftest import forget_process_state
from tests.mongo_server import STORES, fresh_database


@pytest.fixture(autouse=True, params=STORES)
def isolated_env(
    request: pytest.FixtureRequest, isolated_env: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    if request.param == "embedded":
        yield isolated_env
        return
    with fresh_database("retail_faults") as uri:
        monkeypatch.setenv("RETAIL_DB_URI", uri)
        forget_process_state()
        yield uri
        if database.cache_info().currsize:
            database().close()
        forget_process_state()
