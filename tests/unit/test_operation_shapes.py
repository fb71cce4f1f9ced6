"""The features the store-coverage check compares (tests/operation_shapes.py)."""

from __future__ import annotations

from ..operation_shapes import features_of


def test_an_update_names_its_method_options_and_operators_with_their_paths():
    found = features_of(
        "update_one",
        ({"_id": "x", "ops.o1": {"$exists": False}, "list.0": 1}, {"$set": {"a.b": 1}}),
        {"upsert": True},
    )
    assert found == {
        "update_one",
        "update_one +upsert",
        "filter $exists",
        "filter dotted",
        "filter positional",
        "update $set",
        "update $set:dotted",
    }


def test_a_find_counts_a_positional_projection_and_each_lists_its_each():
    assert features_of("find", ({"n": {"$in": [1]}}, {"n": 1}), {"limit": 5}) == {
        "find",
        "find +projection",
        "find +limit",
        "filter $in",
    }
    change = {"$addToSet": {"tags": {"$each": ["a"]}}, "$push": {"log": 1}}
    assert features_of("update_many", ({}, change), {}) == {
        "update_many",
        "update $addToSet",
        "update $addToSet:$each",
        "update $push",
    }
