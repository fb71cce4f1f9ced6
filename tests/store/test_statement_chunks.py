"""A statement names its lines' chunks (settlement.lines); each is written before the
statement names it, so one that is missing is a broken store: reading it raises, it is never
read as empty (an export would drop lines; finalize would release claims that were counted)."""

from __future__ import annotations

import pytest

from retail.settlement.lines import listed_claims, statement_rows
from retail.store import connect


@pytest.fixture
def db(tmp_path):
    database = connect(f"sqlite:///{tmp_path}/chunks.db")
    database.statement_lines.insert_one({"_id": "c-2", "rows": [["row-b"]], "claims": ["k-b"]})
    yield database
    database.close()


def test_a_missing_chunk_is_raised_by_the_rows_and_the_claims(db):
    statement = {"_id": "m1:2026-12-06", "chunks": ["c-1", "c-2"]}
    with pytest.raises(LookupError, match="c-1"):
        list(statement_rows(db, statement))
    with pytest.raises(LookupError, match="c-1"):
        list(listed_claims(db, statement, 100))
    whole = {"_id": "m1:2026-12-06", "chunks": ["c-2"]}
    assert list(statement_rows(db, whole)) == [["row-b"]]
    assert list(listed_claims(db, whole, 100)) == [["k-b"]]
