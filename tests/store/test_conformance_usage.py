"""What the domain does with the store that the other conformance files did not check on
every engine: found by recording each operation the function tests make and each the
conformance suite makes (tests/operation_shapes.py; the root conftest fails the run when the
first holds a feature the second lacks)."""

from __future__ import annotations

from pymongo import ReturnDocument


def _three(db):
    db.items.insert_many(
        [
            {"_id": "a", "n": 1, "tags": ["x"], "deep": {"keep": 1, "drop": 2, "list": [1, 2]}},
            {"_id": "b", "n": 2, "tags": ["y"], "deep": {"keep": 3, "drop": 4, "list": [2, 3]}},
            {"_id": "c", "n": 3, "tags": ["x", "y"], "deep": {"keep": 5, "drop": 6, "list": [3]}},
        ]
    )


def test_estimated_document_count_counts_the_collection(db):
    assert db.items.estimated_document_count() == 0
    _three(db)
    assert db.items.estimated_document_count() == 3


def test_find_with_projection_skip_and_limit_as_arguments(db):
    _three(db)
    found = db.items.find({}, {"n": 1}, sort=[("n", 1)], skip=1, limit=1)
    assert list(found) == [{"_id": "b", "n": 2}]
    kept = db.items.find({"n": {"$gte": 2}}, projection={"deep.keep": 1, "_id": 0}, limit=5)
    assert sorted(d["deep"]["keep"] for d in kept) == [3, 5]


def test_find_one_and_update_with_a_projection(db):
    _three(db)
    after = db.items.find_one_and_update(
        {"_id": "a"},
        {"$inc": {"n": 10}},
        projection={"n": 1},
        return_document=ReturnDocument.AFTER,
    )
    assert after == {"_id": "a", "n": 11}


def test_replace_one_with_upsert_inserts_then_replaces(db):
    assert db.items.replace_one({"_id": "z"}, {"v": 1}, upsert=True).upserted_id == "z"
    replaced = db.items.replace_one({"_id": "z"}, {"v": 2}, upsert=True)
    assert (replaced.matched_count, replaced.upserted_id) == (1, None)
    assert db.items.find_one({"_id": "z"}) == {"_id": "z", "v": 2}


def test_pull_and_unset_on_dotted_paths(db):
    _three(db)
    pulled = db.items.update_many({}, {"$pull": {"deep.list": 3}})
    assert pulled.modified_count == 2
    db.items.update_one({"_id": "a"}, {"$unset": {"deep.drop": ""}})
    assert db.items.find_one({"_id": "a"})["deep"] == {"keep": 1, "list": [1, 2]}
    assert db.items.find_one({"_id": "c"})["deep"]["list"] == []


def test_find_one_with_a_sort_answers_the_first_in_that_order(db):
    _three(db)
    first = db.items.find_one({"n": {"$gte": 2}}, {"n": 1}, sort=[("n", 1)])
    assert first == {"_id": "b", "n": 2}
    last = db.items.find_one({}, sort=[("n", -1)])
    assert last is not None and last["_id"] == "c"
    assert db.items.find_one({"n": {"$gt": 9}}, sort=[("n", 1)]) is None
