"""Indexes are part of the deployment: infra/indexes.json applied converges a store (an index
held with other options is replaced), and what a store lacks is listed (init_db --check)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from retail.store import connect
from retail.store.indexes import apply_indexes, missing_indexes
from tests.conftest import INDEXES

SPEC = json.loads(INDEXES.read_text(encoding="utf-8"))
ALL = sum(len(indexes) for indexes in SPEC["collections"].values())


def test_a_new_store_lacks_every_index_and_none_once_applied(tmp_path):
    db = connect(f"sqlite:///{tmp_path}/deploy.db")
    assert len(missing_indexes(db, SPEC)) == ALL
    assert len(apply_indexes(db, SPEC)) == ALL
    assert missing_indexes(db, SPEC) == []
    assert len(apply_indexes(db, SPEC)) == ALL  # idempotent
    assert missing_indexes(db, SPEC) == []


def test_an_index_held_with_other_options_is_listed_then_replaced(tmp_path):
    db = connect(f"sqlite:///{tmp_path}/deploy.db")
    db.metrics.create_index("expires_at")  # as stores had it before it became a TTL index
    apply_indexes(db, {"collections": {"orders": SPEC["collections"]["orders"]}})
    lacking = missing_indexes(db, SPEC)
    assert "metrics: [['expires_at', 1]] {'expireAfterSeconds': 0}" in lacking
    apply_indexes(db, SPEC)
    assert missing_indexes(db, SPEC) == []
    assert db.metrics.index_information()["expires_at_1"]["expireAfterSeconds"] == 0


def test_documents_expire_by_their_ttl_index_and_others_stay(tmp_path):
    db = connect(f"sqlite:///{tmp_path}/deploy.db")
    apply_indexes(db, SPEC)
    now = datetime.now(timezone.utc)
    db.metrics.insert_many(
        [
            {"_id": "old", "expires_at": now - timedelta(minutes=1)},
            {"_id": "open", "expires_at": now + timedelta(minutes=1)},
            {"_id": "earliest-counts", "expires_at": [now + timedelta(days=1), now - timedelta(1)]},
            {"_id": "not-a-date", "expires_at": "yesterday"},
            {"_id": "no-field"},
        ]
    )
    assert db.expire_now() == 2
    assert sorted(d["_id"] for d in db.metrics.find({})) == ["no-field", "not-a-date", "open"]
    assert db.metrics.find_one({"expires_at": {"$lt": now}}) is None  # its index rows went too


def test_a_ttl_pass_that_fails_leaves_the_write_it_follows_committed(tmp_path, monkeypatch):
    """The pass runs after a write commits: whatever it raises, the write stands and the next
    one goes through (retail_dev/embedded/ttl.py)."""
    from retail_dev.embedded import ttl

    db = connect(f"sqlite:///{tmp_path}/deploy.db")
    apply_indexes(db, SPEC)

    def broken(*_: object) -> int:
        raise OverflowError("a date out of range")

    monkeypatch.setattr(ttl, "expire", broken)
    monkeypatch.setattr(db, "_expired_at", -(10**9))  # the pass is due on the next write
    db.metrics.insert_one({"_id": "kept", "expires_at": datetime.now(timezone.utc)})
    db.metrics.insert_one({"_id": "next"})
    assert sorted(d["_id"] for d in db.metrics.find({})) == ["kept", "next"]


def test_every_index_is_one_mongodb_creates():
    """MongoDB takes a key pattern of `_id` alone for the `_id` index, which cannot be
    partial, sparse or named otherwise (index_catalog_impl.cpp, `_isSpecOk`: "_id index
    cannot be a partial index"); init_db would stop at the first such entry and leave the
    collections after it without indexes. TTL indexes are on one field, and partial filters
    use only what MongoDB accepts in them."""
    spec = json.loads(INDEXES.read_text(encoding="utf-8"))["collections"]
    accepted = {"$exists", "$eq", "$gt", "$gte", "$lt", "$lte", "$type", "$in", "$and", "$or"}
    for collection, indexes in spec.items():
        for index in indexes:
            fields = [name for name, _ in index["keys"]]
            assert fields != ["_id"], (collection, index)
            if "expireAfterSeconds" in index:
                assert len(fields) == 1, (collection, index)
            for cond in (index.get("partialFilterExpression") or {}).values():
                operators = set(cond) if isinstance(cond, dict) else set()
                assert operators <= accepted, (collection, index)
                assert cond != {"$exists": False}, (collection, index)


def test_an_index_the_file_no_longer_lists_is_dropped_and_listed_until_then(tmp_path):
    """A store set up by an earlier release keeps no index the file dropped: each one costs
    every write (the orders' updated_at index, say)."""
    from retail.store.indexes import extra_indexes

    db = connect(f"sqlite:///{tmp_path}/older.db")
    apply_indexes(db, SPEC)
    db.orders.create_index([("updated_at", 1)])
    assert extra_indexes(db, SPEC) == [("orders", "updated_at_1")]
    apply_indexes(db, SPEC)
    assert extra_indexes(db, SPEC) == [] and missing_indexes(db, SPEC) == []
    assert "updated_at_1" not in db.orders.index_information()
