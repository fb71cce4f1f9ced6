"""TTL indexes: a document whose indexed date is `expireAfterSeconds` in the past is deleted,
as MongoDB's TTL monitor does once a minute (an array field expires by its earliest date; a
field that is not a date never expires).

The embedded engine has no background thread: the first write transaction a process makes
each minute runs the pass afterwards, still in its turn, in a transaction of its own, so the
write it follows is committed whatever happens to the pass. A pass deletes at most BATCH
documents per index; the rest go in the next.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from .codec import DATE_TAG, index_value

if TYPE_CHECKING:
    from .database import EmbeddedDatabase

PERIOD_SECONDS = 60.0
BATCH = 5000
_CHUNK = 500  # ids per DELETE statement


def expire(database: EmbeddedDatabase, conn: sqlite3.Connection) -> int:
    """Delete what every TTL index says has expired; returns the documents deleted."""
    from .database import docs_table, index_table

    removed = 0
    now = datetime.now(timezone.utc)
    for collection, specs in database.all_index_specs().items():
        for spec in specs:
            if spec.expire_after is None:
                continue
            bound = index_value(now - timedelta(seconds=spec.expire_after))
            ids = [
                row[0]
                for row in conn.execute(
                    f"SELECT DISTINCT id FROM {index_table(collection, spec.name)} "
                    "WHERE k0 >= ? AND k0 < ? LIMIT ?",
                    (DATE_TAG, bound, BATCH),
                )
            ]
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                for other in specs:
                    conn.execute(
                        f"DELETE FROM {index_table(collection, other.name)} WHERE id IN ({marks})",
                        chunk,
                    )
                removed += conn.execute(
                    f"DELETE FROM {docs_table(collection)} WHERE id IN ({marks})", chunk
                ).rowcount
    return removed
