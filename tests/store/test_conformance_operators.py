"""Every query and update operator the project relies on, checked on every engine."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from .conftest import skip_on_mongomock

DAY = datetime(2026, 1, 1, tzinfo=timezone.utc)
PEOPLE = [
    {
        "_id": 1,
        "name": "Ann",
        "age": 30,
        "tags": ["vip", "new"],
        "addr": {"city": "Kunming"},
        "orders": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 5}],
        "joined": DAY,
        "flag": True,
    },
    {
        "_id": 2,
        "name": "bob",
        "age": 25,
        "tags": ["new"],
        "addr": {"city": "Dali"},
        "orders": [{"sku": "a", "qty": 1}],
        "joined": DAY.replace(month=3),
        "flag": False,
    },
    {"_id": 3, "name": "Cai", "age": None, "tags": [], "orders": [], "flag": 1},
    {"_id": 4, "name": "Dan", "age": 41.5, "addr": {"city": "Kunming", "zip": "650000"}},
]

QUERIES = [
    ({"age": 30}, [1]),
    ({"age": {"$eq": 25}}, [2]),
    ({"age": {"$ne": 30}}, [2, 3, 4]),
    ({"age": {"$gt": 25}}, [1, 4]),
    ({"age": {"$gte": 25, "$lt": 41}}, [1, 2]),
    ({"age": {"$lte": 30}}, [1, 2]),
    ({"age": None}, [3]),
    ({"zzz": None}, [1, 2, 3, 4]),
    ({"age": {"$in": [25, 41.5]}}, [2, 4]),
    ({"age": {"$nin": [25, 41.5]}}, [1, 3]),
    ({"addr": {"$exists": False}}, [3]),
    ({"addr.zip": {"$exists": True}}, [4]),
    ({"addr.city": "Kunming"}, [1, 4]),
    ({"tags": "new"}, [1, 2]),
    ({"tags": ["new"]}, [2]),
    ({"tags": {"$size": 0}}, [3]),
    ({"tags": {"$all": ["vip", "new"]}}, [1]),
    ({"orders.sku": "b"}, [1]),
    ({"orders.0.qty": 1}, [2]),
    ({"orders": {"$elemMatch": {"sku": "a", "qty": {"$gte": 2}}}}, [1]),
    ({"orders.sku": "a", "orders.qty": 5}, [1]),
    ({"age": {"$not": {"$gt": 26}}}, [2, 3]),
    ({"$or": [{"age": 25}, {"name": "Dan"}]}, [2, 4]),
    ({"$and": [{"addr.city": "Kunming"}, {"age": {"$gt": 35}}]}, [4]),
    ({"$nor": [{"age": 25}, {"tags": "vip"}]}, [3, 4]),
    ({"name": {"$regex": "^[a-c]", "$options": "i"}}, [1, 2, 3]),
    ({"name": re.compile("an$")}, [4]),
    ({"joined": {"$gt": DAY}}, [2]),
    ({"flag": True}, [1]),
    ({"flag": 1}, [3]),
    ({"age": {"$gt": "A"}}, []),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[str(q) for q, _ in QUERIES])
def test_query_operator(db, query, expected):
    if "flag" in query:
        skip_on_mongomock(db, "the BSON type bracket that keeps true apart from 1")
    db.people.insert_many([dict(p) for p in PEOPLE])
    assert sorted(d["_id"] for d in db.people.find(query)) == expected


UPDATES = [
    ({"a": 1}, {"$set": {"a": 2, "b.c": 3}}, {"a": 2, "b": {"c": 3}}),
    ({"a": 1, "b": 2}, {"$unset": {"b": ""}}, {"a": 1}),
    ({"n": 1}, {"$inc": {"n": 2, "m": -1}}, {"n": 3, "m": -1}),
    ({"n": 5}, {"$min": {"n": 3, "k": 9}}, {"n": 3, "k": 9}),
    ({"n": 5}, {"$max": {"n": 3}}, {"n": 5}),
    ({"l": [1]}, {"$push": {"l": 2}}, {"l": [1, 2]}),
    ({}, {"$push": {"l": {"$each": [1, 2, 3], "$slice": -2}}}, {"l": [2, 3]}),
    ({"l": [1, 2]}, {"$addToSet": {"l": {"$each": [2, 3, 3]}}}, {"l": [1, 2, 3]}),
    ({"l": [1, 5, 9]}, {"$pull": {"l": {"$gte": 5}}}, {"l": [1]}),
    ({"l": [{"s": "a"}, {"s": "b"}]}, {"$pull": {"l": {"s": "a"}}}, {"l": [{"s": "b"}]}),
    ({"l": [{"q": 1}, {"q": 2}]}, {"$set": {"l.1.q": 7}}, {"l": [{"q": 1}, {"q": 7}]}),
    ({"l": [{"q": 1}]}, {"$inc": {"l.0.q": 4}}, {"l": [{"q": 5}]}),
]


@pytest.mark.parametrize(
    ("start", "update", "expected"), UPDATES, ids=[str(u) for _, u, _ in UPDATES]
)
def test_update_operator(db, start, update, expected):
    if "$addToSet" in update:
        skip_on_mongomock(db, "$addToSet de-duplicating its own $each list")
    db.docs.insert_one({"_id": "x", **start})
    db.docs.update_one({"_id": "x"}, update)
    assert db.docs.find_one({"_id": "x"}) == {"_id": "x", **expected}


def test_current_date_sets_an_aware_utc_datetime(db):
    db.docs.insert_one({"_id": "x"})
    db.docs.update_one({"_id": "x"}, {"$currentDate": {"at": True}})
    at = db.docs.find_one({"_id": "x"})["at"]
    assert at.tzinfo is not None and abs((datetime.now(timezone.utc) - at).total_seconds()) < 60
