"""A statement's lines live beside it in `statement_lines`, in chunks of at most CHUNK_ROWS
rows with the claims they carry, so no document grows with a merchant's sales (MongoDB
refuses one over 16 MiB; a merchant-day of 100,000 lines would pass it).

A run writes its chunks first, under ids of its own, and then the statement, which names
the chunks it counted: the statement is the commit. Chunks it does not name (a run that lost
the race, or died before its statement) are dropped when the statement is finalized."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from retail.store import Db

CHUNK_ROWS = 1000


class LineWriter:
    """Rows of one statement as a run counts them, written a chunk at a time; `chunks` names
    what is written."""

    def __init__(
        self, db: Db, statement: str, run: str, chunks: list[str] | None = None, count: int = 0
    ) -> None:
        self.db, self.statement, self.run = db, statement, run
        self.rows: list[list[Any]] = []
        self.claims: list[str] = []
        self.chunks: list[str] = list(chunks or [])  # written so far, by this run
        self.count = count

    def add(self, rows: list[list[Any]], claim: str) -> None:
        """One claimed share of an order: its rows and its claim stay in one chunk."""
        self.rows += rows
        self.claims.append(claim)
        self.count += len(rows)
        if len(self.rows) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.claims:
            return
        chunk = f"{self.statement}:{self.run}:{uuid.uuid4().hex[:8]}"
        self.db.statement_lines.insert_one(
            {
                "_id": chunk,
                "statement_id": self.statement,
                "run": self.run,
                "rows": self.rows,
                "claims": self.claims,
            }
        )
        self.chunks.append(chunk)
        self.rows, self.claims = [], []


def statement_rows(db: Db, statement: dict[str, Any]) -> Iterator[list[Any]]:
    """The statement's rows in the order its run counted them. A statement written before
    lines had a collection of their own holds them itself."""
    if "rows" in statement:
        yield from statement["rows"]
        return
    for chunk in statement.get("chunks") or []:
        yield from _chunk(db, chunk, "rows")


def listed_claims(db: Db, statement: dict[str, Any], batch: int) -> Iterator[list[str]]:
    """The claims the statement counted, `batch` at a time."""
    if "claims" in statement:  # written before lines had a collection of their own
        listed = list(statement["claims"])
        for start in range(0, len(listed), batch):
            yield listed[start : start + batch]
        return
    for chunk in statement.get("chunks") or []:
        yield _chunk(db, chunk, "claims")


def lines_not_counted(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """Filters of the chunks written for the statement that it does not name, by run (two
    ranges and an equality an index walks, where `$ne` would read every chunk): a run that
    lost the race or the day, or died, wrote them. A run that took the day over names the
    chunks it took over too, whatever run wrote them."""
    run, named = statement.get("run", ""), statement.get("chunks") or []
    return [
        {"statement_id": statement["_id"], "run": runs, "_id": {"$nin": named}}
        for runs in ({"$lt": run}, {"$gt": run}, run)
    ]


def _chunk(db: Db, chunk: str, part: str) -> list[Any]:
    """A part of a chunk the statement names. Chunks are written before the statement names
    them, so a missing one is a broken store: raised, never read as empty (an export would
    miss lines, and finalize would release claims the statement counted)."""
    found = db.statement_lines.find_one({"_id": chunk}, {part: 1})
    if found is None:
        raise LookupError(f"statement chunk {chunk!r} is missing")
    rows: list[Any] = found[part]
    return rows
