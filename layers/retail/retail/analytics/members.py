"""Who was in an aggregate (a day's active users, a day's payers per merchant and channel),
stored so that no document grows with traffic: each group's pseudonymous keys are split into
parts of at most PART_SIZE, one document each (MongoDB's 16 MiB document limit would be
reached at a few hundred thousand keys in one array).

Written whole per day under deterministic ids (parts no longer needed are removed), so a
rollup run twice leaves what one run leaves.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from retail.store import Db

PART_SIZE = 1000  # ~40 KB of keys per document


def write_members(
    db: Db,
    collection: str,
    day: str,
    groups: dict[tuple[str, ...], set[str]],
    labels: tuple[str, ...],
) -> None:
    """Replace the day's members: `groups` maps label values (named by `labels`) to keys."""
    ids = []
    for values, members in groups.items():
        ordered = sorted(members)
        for part, start in enumerate(range(0, len(ordered), PART_SIZE)):
            doc_id = "|".join([day, *values, str(part)])
            ids.append(doc_id)
            db[collection].replace_one(
                {"_id": doc_id},
                {
                    "day": day,
                    **dict(zip(labels, values, strict=True)),
                    "part": part,
                    "users": ordered[start : start + PART_SIZE],
                },
                upsert=True,
            )
    db[collection].delete_many({"day": day, "_id": {"$nin": ids}})


def read_members(db: Db, collection: str, query: dict[str, Any]) -> dict[str, set[str]]:
    """Members by day for the parts matching `query`."""
    by_day: dict[str, set[str]] = defaultdict(set)
    for doc in db[collection].find(query, {"day": 1, "users": 1}):
        by_day[doc["day"]].update(doc["users"])
    return by_day
