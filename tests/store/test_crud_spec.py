"""MongoDB's CRUD specification tests (unified format) on the embedded engine, and on a real
MongoDB when RETAIL_TEST_MONGODB_URI names one (which checks the runner itself). `make test`
fetches them from pymongo's source distribution on PyPI into .cache/mongodb-crud-spec; they
are not copied into this repository (decision 0018)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retail.store import connect

from .crud_spec import Case, cases, load, run
from .crud_spec_differences import DIFFERENCES, difference

ROOT = Path(__file__).resolve().parents[2]
FOLDER = Path(os.environ.get("RETAIL_CRUD_SPEC_DIR", ROOT / ".cache" / "mongodb-crud-spec"))
CASES = list(cases(FOLDER)) if FOLDER.is_dir() else []
MONGODB_URI = os.environ.get("RETAIL_TEST_MONGODB_URI")


@pytest.fixture(scope="module", params=["embedded", "mongodb"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any]]:
    """(engine, database): the spec's cases share one store, each loads its own data."""
    if request.param == "embedded":
        db = connect(f"sqlite:///{tmp_path_factory.mktemp('crud-spec')}/spec.db")
        yield "embedded", db
        db.close()
        return
    if not MONGODB_URI:
        pytest.skip("RETAIL_TEST_MONGODB_URI is not set: no real MongoDB to check against")
    from pymongo import MongoClient

    client: MongoClient[Any] = MongoClient(MONGODB_URI, tz_aware=True)
    name = f"retail_crud_spec_{uuid.uuid4().hex[:12]}"
    yield "mongodb", client[name]
    client.drop_database(name)
    client.close()


def test_the_specification_is_there() -> None:
    """`make test` fetches the files; a run without them checks nothing, so it says so."""
    if not CASES:
        pytest.skip(f"no CRUD specification tests in {FOLDER}: `make test` fetches them")
    assert len(CASES) > 400
    assert sum(not c.not_applicable() for c in CASES) >= 120  # README: 126 of 437 run


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_crud_specification(store: tuple[str, Any], case: Case) -> None:
    engine, db = store
    why = case.not_applicable()
    if why:
        pytest.skip(f"not applicable: {why}")
    known = difference(case.id) if engine == "embedded" else None
    load(db, case)
    if known is None:
        run(db, case)
        return
    try:
        run(db, case)
    except Exception:  # noqa: BLE001 - the listed difference, as it is known to show
        pytest.xfail(known)
    pytest.fail(f"listed as a difference but passes now, remove it: {known}")


def test_every_listed_difference_still_names_a_case() -> None:
    if not CASES:
        pytest.skip(f"no CRUD specification tests in {FOLDER}: `make test` fetches them")
    for pattern, _ in DIFFERENCES:
        assert any(pattern.search(c.id) for c in CASES if not c.not_applicable()), pattern
