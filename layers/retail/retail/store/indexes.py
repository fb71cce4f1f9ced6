"""Creating the project's indexes (infra/indexes.json) on either engine, idempotently."""

from __future__ import annotations

from typing import Any


def apply_indexes(db: Any, spec: dict[str, Any]) -> list[str]:
    """Create every index in `spec` that is missing; returns 'collection.index' names."""
    created = []
    for collection, indexes in spec["collections"].items():
        for index in indexes:
            options = {k: v for k, v in index.items() if k != "keys"}
            name = db[collection].create_index([tuple(pair) for pair in index["keys"]], **options)
            created.append(f"{collection}.{name}")
    return created
