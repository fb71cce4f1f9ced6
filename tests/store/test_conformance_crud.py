"""Reads and writes every engine must answer identically."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId
from pymongo import DeleteMany, DeleteOne, InsertOne, ReturnDocument, UpdateOne
from pymongo.errors import (
    BulkWriteError,
    DuplicateKeyError,
    InvalidOperation,
    OperationFailure,
    WriteError,
)

from .conftest import skip_on_mongomock

MOMENT = datetime(2026, 11, 24, 8, 30, 15, 123456, tzinfo=timezone.utc)


def test_values_round_trip_with_millisecond_utc_datetimes(db):
    oid = ObjectId()
    doc = {
        "_id": "d1",
        "s": "鲜花",
        "i": 2**40,
        "f": 1.5,
        "b": True,
        "n": None,
        "l": [1, "two", {"three": 3}],
        "o": {"nested": {"deep": [oid]}},
        "t": MOMENT,
    }
    db.things.insert_one(doc)
    found = db.things.find_one({"_id": "d1"})
    assert found == {**doc, "t": MOMENT.replace(microsecond=123000)}
    assert found["t"].utcoffset() == timedelta(0)


def test_insert_without_id_assigns_an_object_id_to_the_callers_document(db):
    doc = {"name": "x"}
    result = db.things.insert_one(doc)
    assert isinstance(doc["_id"], ObjectId) and result.inserted_id == doc["_id"]
    assert db.things.find_one({"_id": doc["_id"]})["name"] == "x"


def test_duplicate_id_is_refused_with_duplicate_key_error(db):
    db.things.insert_one({"_id": "a"})
    with pytest.raises(DuplicateKeyError):
        db.things.insert_one({"_id": "a", "other": 1})
    assert db.things.count_documents({}) == 1


def test_insert_many_ordered_stops_at_the_first_duplicate(db):
    db.things.insert_one({"_id": 2})
    with pytest.raises(BulkWriteError) as raised:
        db.things.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3}])
    assert raised.value.details["nInserted"] == 1
    assert sorted(d["_id"] for d in db.things.find()) == [1, 2]


def test_find_sorts_on_several_keys_then_skips_and_limits(db):
    db.p.insert_many([{"_id": i, "cat": i % 2, "price": 10 - i} for i in range(6)])
    got = [d["_id"] for d in db.p.find({}, sort=[("cat", 1), ("price", -1)])]
    assert got == [0, 2, 4, 1, 3, 5]
    got = [d["_id"] for d in db.p.find().sort("price", 1).skip(1).limit(2)]
    assert got == [4, 3]


def test_sort_orders_mixed_types_by_bson_bracket(db):
    db.p.insert_many(
        [
            {"_id": 1, "v": "a"},
            {"_id": 2, "v": 5},
            {"_id": 3},
            {"_id": 4, "v": True},
            {"_id": 5, "v": MOMENT},
            {"_id": 6, "v": None},
        ]
    )
    got = [d["_id"] for d in db.p.find(sort=[("v", 1), ("_id", 1)])]
    assert got == [3, 6, 2, 1, 4, 5]


def test_projection_includes_or_excludes_dotted_fields(db):
    db.p.insert_one({"_id": 1, "a": 1, "b": {"c": 2, "d": 3}, "e": 4})
    assert db.p.find_one({}, {"b.c": 1}) == {"_id": 1, "b": {"c": 2}}
    assert db.p.find_one({}, {"b.d": 0, "e": 0}) == {"_id": 1, "a": 1, "b": {"c": 2}}
    assert db.p.find_one({}, {"_id": 0, "a": 1}) == {"a": 1}
    assert db.p.find_one({}, ["e"]) == {"_id": 1, "e": 4}


def test_count_documents_with_skip_and_limit(db):
    db.p.insert_many([{"_id": i, "even": i % 2 == 0} for i in range(10)])
    assert db.p.count_documents({"even": True}) == 5
    assert db.p.count_documents({}, skip=3, limit=4) == 4


def test_distinct_flattens_arrays(db):
    db.p.insert_many([{"t": ["a", "b"]}, {"t": "b"}, {"t": "c"}, {"x": 1}])
    assert sorted(db.p.distinct("t")) == ["a", "b", "c"]


def test_conditional_decrement_applies_only_when_the_filter_holds(db):
    db.skus.insert_one({"_id": "s1", "stock": 3, "reserved": 0})
    take = {"$inc": {"stock": -2, "reserved": 2}}
    first = db.skus.find_one_and_update(
        {"_id": "s1", "stock": {"$gte": 2}}, take, return_document=ReturnDocument.AFTER
    )
    second = db.skus.find_one_and_update({"_id": "s1", "stock": {"$gte": 2}}, take)
    assert first == {"_id": "s1", "stock": 1, "reserved": 2}
    assert second is None
    assert db.skus.find_one({"_id": "s1"}) == first


def test_find_one_and_update_returns_before_by_default_and_honours_sort(db):
    db.q.insert_many([{"_id": i, "state": "NEW", "rank": r} for i, r in [(1, 5), (2, 1), (3, 3)]])
    before = db.q.find_one_and_update(
        {"state": "NEW"}, {"$set": {"state": "TAKEN"}}, sort=[("rank", 1)]
    )
    assert before == {"_id": 2, "state": "NEW", "rank": 1}
    assert db.q.find_one({"_id": 2})["state"] == "TAKEN"


def test_upsert_builds_the_document_from_filter_equalities(db):
    result = db.u.update_one(
        {"_id": "o1", "kind": {"$eq": "user"}, "n": {"$gt": 1}},
        {"$set": {"seen": 1}, "$setOnInsert": {"first": True}},
        upsert=True,
    )
    assert result.upserted_id == "o1" and result.matched_count == 0
    assert db.u.find_one({"_id": "o1"}) == {"_id": "o1", "kind": "user", "seen": 1, "first": True}
    again = db.u.update_one(
        {"_id": "o1"}, {"$set": {"seen": 2}, "$setOnInsert": {"first": False}}, upsert=True
    )
    assert (again.matched_count, again.modified_count, again.upserted_id) == (1, 1, None)
    assert db.u.find_one({"_id": "o1"})["first"] is True


def test_find_one_and_update_upsert_returns_the_new_document_when_asked(db):
    doc = db.u.find_one_and_update(
        {"_id": "k"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert doc == {"_id": "k", "n": 1}
    assert db.u.find_one_and_update({"_id": "z"}, {"$inc": {"n": 1}}, upsert=True) is None


def test_update_reports_matched_and_modified_counts(db):
    db.u.insert_many([{"_id": 1, "v": 1}, {"_id": 2, "v": 2}, {"_id": 3, "v": 2}])
    assert db.u.update_many({"v": 2}, {"$set": {"v": 2}}).modified_count == 0
    result = db.u.update_many({"v": {"$gte": 1}}, {"$set": {"v": 2}})
    assert (result.matched_count, result.modified_count) == (3, 1)


def test_replace_one_keeps_the_id(db):
    db.u.insert_one({"_id": 1, "a": 1, "b": 2})
    db.u.replace_one({"_id": 1}, {"c": 3})
    assert db.u.find_one({"_id": 1}) == {"_id": 1, "c": 3}


def test_delete_one_and_many(db):
    db.u.insert_many([{"_id": i, "g": i % 3} for i in range(9)])
    assert db.u.delete_one({"g": 0}).deleted_count == 1
    assert db.u.delete_many({"g": {"$in": [0, 1]}}).deleted_count == 5
    assert sorted(d["_id"] for d in db.u.find()) == [2, 5, 8]


def test_bulk_write_applies_each_conditional_write_on_its_own(db):
    skip_on_mongomock(db, "bulk updates as this pymongo sends them (it passes a sort)")
    db.u.insert_many([{"_id": i, "due": i * 10} for i in range(5)])
    result = db.u.bulk_write(
        [
            UpdateOne({"_id": 0, "due": 0}, {"$unset": {"due": ""}}),
            UpdateOne({"_id": 1, "due": 99}, {"$unset": {"due": ""}}),  # changed since read
            UpdateOne({"_id": 3}, {"$inc": {"n": 1}}),
            DeleteOne({"_id": 2}),
            DeleteMany({"due": {"$gte": 40}}),
            UpdateOne({"_id": 9}, {"$set": {"due": 0}}, upsert=True),
        ],
        ordered=False,
    )
    assert (result.matched_count, result.modified_count) == (2, 2)
    assert (result.deleted_count, result.upserted_count) == (2, 1)
    assert list(db.u.find({}, sort=[("_id", 1)])) == [
        {"_id": 0},
        {"_id": 1, "due": 10},
        {"_id": 3, "due": 30, "n": 1},
        {"_id": 9, "due": 0},
    ]


@pytest.mark.parametrize("ordered", [True, False])
def test_bulk_write_keeps_the_writes_around_a_refused_one(db, ordered):
    """Each write of a batch stands on its own: a refused one (here $inc on text) is a write
    error, the writes before it stay, and an unordered batch goes on after it."""
    skip_on_mongomock(db, "bulk updates as this pymongo sends them (it passes a sort)")
    db.u.insert_many([{"_id": 1, "n": 0}, {"_id": 2, "n": "text"}, {"_id": 3, "n": 0}])
    batch = [UpdateOne({"_id": i}, {"$inc": {"n": 1}}) for i in (1, 2, 3)]
    with pytest.raises(BulkWriteError) as refused:
        db.u.bulk_write(batch, ordered=ordered)
    details = refused.value.details
    assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(1, 14)]
    assert details["nModified"] == (1 if ordered else 2)
    assert [d["n"] for d in db.u.find({}, sort=[("_id", 1)])] == [1, "text", 0 if ordered else 1]


@pytest.mark.parametrize("ordered", [True, False])
def test_a_batchs_second_upsert_of_a_new_document_updates_what_the_first_inserted(db, ordered):
    """In a new collection too: the second write sees the first's document (MongoDB runs a
    batch's writes one after another), never a duplicate key."""
    skip_on_mongomock(db, "bulk updates as this pymongo sends them (it passes a sort)")
    batch = [
        UpdateOne({"_id": "a"}, {"$set": {"x": 1}}, upsert=True),
        UpdateOne({"_id": "a"}, {"$set": {"y": 2}}, upsert=True),
    ]
    result = db.fresh_batch.bulk_write(batch, ordered=ordered)
    assert (result.upserted_count, result.matched_count) == (1, 1)
    assert db.fresh_batch.find_one({"_id": "a"}) == {"_id": "a", "x": 1, "y": 2}


def test_a_refused_write_that_created_a_collection_leaves_none(db):
    """The collection a refused write of a batch would have created is not there after it,
    and a later write of the batch creates it afresh."""
    skip_on_mongomock(db, "bulk updates as this pymongo sends them (it passes a sort)")
    batch = [
        UpdateOne({"_id": "a"}, {"$inc": {"n": "x"}}, upsert=True),  # refused: $inc of text
        UpdateOne({"_id": "b"}, {"$set": {"n": 1}}, upsert=True),
        UpdateOne({"_id": "b"}, {"$inc": {"n": 1}}, upsert=True),
    ]
    with pytest.raises(BulkWriteError):
        db.undone_batch.bulk_write(batch, ordered=False)
    assert list(db.undone_batch.find({})) == [{"_id": "b", "n": 2}]


def test_bulk_write_of_nothing_is_refused(db):
    with pytest.raises(InvalidOperation):
        db.u.bulk_write([])


def test_bulk_write_unordered_goes_on_past_a_duplicate_and_ordered_stops(db):
    db.u.insert_one({"_id": "b"})
    batch = [InsertOne({"_id": "a"}), InsertOne({"_id": "b"}), InsertOne({"_id": "c"})]
    with pytest.raises(BulkWriteError) as unordered:
        db.u.bulk_write(batch, ordered=False)
    assert [e["index"] for e in unordered.value.details["writeErrors"]] == [1]
    assert unordered.value.details["nInserted"] == 2
    db.u.delete_many({"_id": {"$in": ["a", "c"]}})
    with pytest.raises(BulkWriteError) as ordered:
        db.u.bulk_write([InsertOne({"_id": "a"}), InsertOne({"_id": "b"}), InsertOne({"_id": "c"})])
    assert ordered.value.details["nInserted"] == 1
    assert sorted(d["_id"] for d in db.u.find()) == ["a", "b"]


def test_bulk_write_an_upsert_whose_condition_refuses_the_existing_document_is_a_duplicate(db):
    """The rate windows' batch (common/ratelimit.py): an upsert counting only under a limit
    matches nothing on a spent window, and its insert meets the window's `_id`: a duplicate
    key at that index, and an ordered batch stops there."""
    skip_on_mongomock(db, "bulk updates as this pymongo sends them (it passes a sort)")
    db.u.insert_one({"_id": "spent", "calls": 2})

    def count(window):
        return UpdateOne({"_id": window, "calls": {"$lt": 2}}, {"$inc": {"calls": 1}}, upsert=True)

    db.u.bulk_write([count("new"), count("other")])
    with pytest.raises(BulkWriteError) as refused:
        db.u.bulk_write([count("new"), count("spent"), count("other")], ordered=True)
    assert [(e["index"], e["code"]) for e in refused.value.details["writeErrors"]] == [(1, 11000)]
    assert {d["_id"]: d["calls"] for d in db.u.find()} == {"new": 2, "other": 1, "spent": 2}


def test_find_one_and_delete_returns_the_removed_document(db):
    db.u.insert_many([{"_id": 1, "p": 2}, {"_id": 2, "p": 1}])
    assert db.u.find_one_and_delete({}, sort=[("p", 1)]) == {"_id": 2, "p": 1}
    assert db.u.count_documents({}) == 1


def test_unique_index_refuses_duplicates_on_insert_and_update(db):
    db.orders.create_index([("openid", 1), ("idempotency_key", 1)], unique=True)
    db.orders.insert_one({"_id": 1, "openid": "o1", "idempotency_key": "k1"})
    db.orders.insert_one({"_id": 2, "openid": "o1", "idempotency_key": "k2"})
    with pytest.raises(DuplicateKeyError):
        db.orders.insert_one({"_id": 3, "openid": "o1", "idempotency_key": "k1"})
    with pytest.raises(DuplicateKeyError):
        db.orders.update_one({"_id": 2}, {"$set": {"idempotency_key": "k1"}})
    assert db.orders.find_one({"_id": 2})["idempotency_key"] == "k2"
    db.orders.update_one({"_id": 1}, {"$set": {"paid": True}})
    assert db.orders.find_one({"openid": "o1", "idempotency_key": "k1"})["paid"] is True


def test_unique_index_treats_missing_fields_as_one_null_value(db):
    db.c.create_index("code", unique=True)
    db.c.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):
        db.c.insert_one({"_id": 2})


def test_sparse_and_partial_unique_indexes_skip_documents(db):
    db.c.create_index("code", unique=True, sparse=True)
    db.c.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3, "code": "x"}])
    db.g.create_index("user", unique=True, partialFilterExpression={"status": "ACTIVE"})
    db.g.insert_many(
        [
            {"user": "u", "status": "USED"},
            {"user": "u", "status": "USED"},
            {"user": "u", "status": "ACTIVE"},
        ]
    )
    with pytest.raises(DuplicateKeyError):
        db.g.insert_one({"user": "u", "status": "ACTIVE"})


def test_creating_a_unique_index_over_duplicates_fails(db):
    db.c.insert_many([{"k": 1}, {"k": 1}])
    with pytest.raises((DuplicateKeyError, OperationFailure)):
        db.c.create_index("k", unique=True)


def test_create_index_is_idempotent_and_named_like_mongodb(db):
    assert db.c.create_index([("a", 1), ("b", -1)]) == "a_1_b_-1"
    assert db.c.create_index([("a", 1), ("b", -1)]) == "a_1_b_-1"
    assert "a_1_b_-1" in db.c.index_information()


def test_unique_multikey_index_refuses_a_shared_element(db):
    skip_on_mongomock(db, "unique multikey indexes")
    db.c.create_index("tags", unique=True)
    db.c.insert_one({"_id": 1, "tags": ["a", "b"]})
    with pytest.raises(DuplicateKeyError):
        db.c.insert_one({"_id": 2, "tags": ["c", "b"]})


def test_indexed_lookups_match_like_scans(db):
    db.c.insert_many([{"_id": i, "k": i % 4, "t": [i, i + 100]} for i in range(40)])
    before = sorted(d["_id"] for d in db.c.find({"k": {"$in": [1, 3]}, "t": {"$gte": 20}}))
    db.c.create_index("k")
    db.c.create_index("t")
    assert sorted(d["_id"] for d in db.c.find({"k": {"$in": [1, 3]}, "t": {"$gte": 20}})) == before
    assert [d["_id"] for d in db.c.find({"t": 105})] == [5]
    assert [d["_id"] for d in db.c.find({"k": 2.0, "_id": {"$lt": 7}})] == [2, 6]


def test_dotted_update_and_unknown_operators(db):
    skip_on_mongomock(db, "WriteError for $inc on a string")
    db.c.insert_one({"_id": 1, "v": "text"})
    with pytest.raises(WriteError):
        db.c.update_one({"_id": 1}, {"$inc": {"v": 1}})
    with pytest.raises((WriteError, OperationFailure)):
        db.c.update_one({"_id": 1}, {"$frobnicate": {"v": 1}})
    with pytest.raises(ValueError):
        db.c.update_one({"_id": 1}, {"v": 1})
    with pytest.raises(OperationFailure):
        list(db.c.find({"v": {"$frobnicate": 1}}))
    assert db.c.find_one({"_id": 1}) == {"_id": 1, "v": "text"}


def test_changing_the_id_is_refused(db):
    db.c.insert_one({"_id": 1})
    with pytest.raises((WriteError, OperationFailure)):
        db.c.update_one({"_id": 1}, {"$set": {"_id": 2}})
    assert db.c.find_one({"_id": 1}) == {"_id": 1}
