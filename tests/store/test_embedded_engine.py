"""What only the embedded engine has to prove: SQLite indexes, schema seen across processes."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from retail.store import connect


@pytest.fixture
def uri(tmp_path):
    return f"sqlite:///{tmp_path}/engine.db"


def plan(cursor) -> str:
    return " | ".join(cursor.explain()["queryPlanner"]["sqlite"])


def test_id_lookups_use_the_primary_key(uri):
    db = connect(uri)
    db.c.insert_many([{"_id": f"k{i}"} for i in range(50)])
    assert plan(db.c.find({"_id": "k3"})).startswith("SEARCH")
    assert "(id=?)" in plan(db.c.find({"_id": {"$in": ["k1", "k2"]}}))


def test_equality_on_an_indexed_field_probes_the_sqlite_index(uri):
    db = connect(uri)
    db.orders.create_index([("openid", 1), ("created_at", -1)])
    db.orders.insert_many([{"openid": f"o{i % 10}", "n": i} for i in range(100)])
    text = plan(db.orders.find({"openid": "o3", "n": {"$gt": 5}}))
    assert "openid_1_created_at_-1" in text and "SCAN" not in text.split("|")[-1]
    assert plan(db.orders.find({"n": 5})).startswith("SCAN")
    assert [d["n"] for d in db.orders.find({"openid": "o3"})] == list(range(3, 100, 10))


def test_an_index_created_by_another_process_is_enforced_here(uri):
    db = connect(uri)
    db.c.insert_one({"_id": 1, "code": "a"})
    process = multiprocessing.get_context("spawn").Process(target=_create_unique_index, args=(uri,))
    process.start()
    process.join(30)
    assert process.exitcode == 0
    with pytest.raises(DuplicateKeyError):
        db.c.insert_one({"_id": 2, "code": "a"})


def _create_unique_index(uri: str) -> None:
    connect(uri).c.create_index("code", unique=True)


@pytest.mark.parametrize("dropped_by", ["this process", "another process"])
def test_an_upsert_by_id_into_a_dropped_collection_creates_it_again(uri, dropped_by):
    """Found by MongoDB's CRUD specification tests: the one-statement path planned on the
    schema read before the drop, and SQLite refused the statement (no such table)."""
    db = connect(uri)
    db.c.insert_one({"_id": 1})
    if dropped_by == "this process":
        db.c.drop()
    else:
        process = multiprocessing.get_context("spawn").Process(target=_drop, args=(uri,))
        process.start()
        process.join(30)
        assert process.exitcode == 0
    for key in ("k", None):
        assert db.c.update_one({"_id": key}, {"$set": {"a": 1}}, upsert=True).upserted_id == key
    assert list(db.c.find({}, sort=[("a", 1)])) == [{"_id": "k", "a": 1}, {"_id": None, "a": 1}]


def _drop(uri: str) -> None:
    connect(uri).c.drop()


def test_a_failed_write_leaves_nothing_behind(uri):
    db = connect(uri)
    db.c.create_index("code", unique=True)
    db.c.insert_one({"_id": 1, "code": "a"})
    with pytest.raises(DuplicateKeyError):
        db.c.insert_one({"_id": 2, "code": "a"})
    assert db.c.find_one({"_id": 2}) is None
    db.c.insert_one({"_id": 2, "code": "b"})
    assert db.c.count_documents({}) == 2


def test_unsupported_operators_are_named_never_ignored(uri):
    db = connect(uri)
    db.c.insert_one({"_id": 1})
    with pytest.raises(OperationFailure, match=r"\$where"):
        db.c.find_one({"$where": "true"})
    with pytest.raises(OperationFailure, match=r"\$type"):
        db.c.find_one({"a": {"$type": "string"}})
    with pytest.raises(Exception, match=r"\$rename"):
        db.c.update_one({"_id": 1}, {"$rename": {"a": "b"}})


def test_threads_sharing_one_database_object_never_lose_an_increment(uri):
    db = connect(uri)
    db.counters.insert_one({"_id": "c", "n": 0})

    def bump() -> None:
        for _ in range(50):
            db.counters.update_one({"_id": "c"}, {"$inc": {"n": 1}})

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.counters.find_one({"_id": "c"})["n"] == 400


def test_unknown_uri_scheme_is_refused():
    with pytest.raises(ValueError, match="redis"):
        connect("redis://localhost")


def test_updates_beside_an_index_keep_it_exact(uri):
    db = connect(uri)
    db.stock.create_index("sku_id")
    db.stock.create_index("code", unique=True, partialFilterExpression={"state": "LIVE"})
    db.stock.insert_many(
        [
            {"_id": "a@x", "sku_id": "a", "n": 5, "state": "LIVE", "code": 1},
            {"_id": "b@x", "sku_id": "b", "n": 5, "state": "DRAFT", "code": 1},
        ]
    )
    db.stock.update_one({"_id": "a@x", "n": {"$gte": 1}}, {"$inc": {"n": -1}, "$set": {"m.k": 1}})
    db.stock.update_one({"_id": "a@x"}, {"$set": {"sku_id": "c"}})
    assert [d["_id"] for d in db.stock.find({"sku_id": "c"})] == ["a@x"]
    assert list(db.stock.find({"sku_id": "a"})) == []
    with pytest.raises(DuplicateKeyError):
        db.stock.update_one({"_id": "b@x"}, {"$set": {"state": "LIVE"}})
    assert db.stock.find_one({"_id": "a@x"})["n"] == 4


def test_number_and_date_ranges_probe_the_index_and_match_like_scans(uri):
    from datetime import datetime, timedelta, timezone

    db = connect(uri)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.users.insert_many(
        [{"_id": i, "score": i % 10, "seen": start + timedelta(days=i)} for i in range(60)]
        + [{"_id": 100, "score": "7"}, {"_id": 101}]
    )
    queries = [
        {"score": {"$gte": 7}},
        {"score": {"$lt": 2}},
        {"score": {"$gt": 3, "$lte": 5}},
        {"seen": {"$lt": start + timedelta(days=5)}},
        {"seen": {"$gte": start + timedelta(days=55)}},
    ]
    scans = [sorted(d["_id"] for d in db.users.find(q)) for q in queries]
    db.users.create_index("score")
    db.users.create_index("seen")
    for query, expected in zip(queries, scans, strict=True):
        assert sorted(d["_id"] for d in db.users.find(query)) == expected
        assert "USING INDEX x:users:" in plan(db.users.find(query)), query
    assert scans[0] == [i for i in range(60) if i % 10 >= 7]
    assert scans[3] == [0, 1, 2, 3, 4]


# MongoDB 5.0+ stores some `$`-prefixed and dotted names but cannot query or update them by
# path; the embedded engine refuses them everywhere (docs/decisions/0008).
@pytest.mark.parametrize(
    "document",
    [{"_id": 1, "a.b": 1}, {"_id": 1, "n": {"$x": 1}}, {"_id": 1, "l": [{"k.j": 2}]}],
)
def test_dotted_and_dollar_field_names_are_refused_at_any_depth(tmp_path, document):
    from bson.errors import InvalidDocument

    from retail.store import connect

    store = connect(f"sqlite:///{tmp_path}/names.db")
    with pytest.raises(InvalidDocument):
        store.names.insert_one(document)
    store.names.insert_one({"_id": 2, "ok": 1})
    with pytest.raises(InvalidDocument):
        store.names.update_one({"_id": 2}, {"$set": {"sub": {"a.b": 1}}})
    assert store.names.find_one({"_id": 2}) == {"_id": 2, "ok": 1}
    store.close()


def test_a_one_statement_write_that_finds_the_lock_taken_waits_its_turn_and_applies_once(uri):
    """Refused by SQLite, the write queues for the write turn instead of polling SQLite's
    lock: it still waits after the holder has committed, until the holder's turn ends."""
    db = connect(uri)
    db.counters.insert_one({"_id": "c", "n": 0})
    holding, unlock, unlocked, release = (threading.Event() for _ in range(4))

    def hold_the_turn_and_the_lock() -> None:
        with db.writer_turn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            holding.set()
            unlock.wait(30)
            conn.execute("COMMIT")  # SQLite's lock is free, the turn is still held
            unlocked.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_turn_and_the_lock)
    holder.start()
    assert holding.wait(30)
    queued = threading.Event()
    take_turn = db.writer_turn
    db.writer_turn = lambda: (queued.set(), take_turn())[1]  # the writer's own way to the turn
    answers: list = []
    writer = threading.Thread(
        target=lambda: answers.append(
            db.counters.find_one_and_update(
                {"_id": "c", "n": 0}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
            )
        )
    )
    writer.start()
    assert queued.wait(30)  # refused at once by SQLite, it went to the turn
    unlock.set()
    assert unlocked.wait(30)
    writer.join(0.3)
    assert answers == []  # a poller of SQLite's lock would have written by now
    release.set()
    holder.join()
    writer.join(30)
    assert answers == [{"_id": "c", "n": 1}]
    assert db.counters.find_one({"_id": "c"}) == {"_id": "c", "n": 1}


def _read_noting_scans(read):
    """What `read()` returns, and the collection scans it made."""
    from retail_dev.embedded.scans import listen

    seen: list = []
    stop = listen(seen.append)
    try:
        return list(read()), seen
    finally:
        stop()


def test_string_and_id_ranges_probe_and_match_like_scans(uri):
    db = connect(uri)
    ids = [f"O{i:04d}" for i in range(80)]
    db.orders.insert_many(
        [{"_id": key, "day": f"2026-01-{i % 28 + 1:02d}"} for i, key in enumerate(ids)]
        + [{"_id": "\x00odd", "day": "\x00low"}, {"_id": 7, "day": None}, {"_id": "Z", "day": 3}]
    )
    queries = [
        {"_id": {"$gt": "O0040"}},
        {"_id": {"$gt": "O0010", "$lte": "O0020"}},
        {"_id": {"$lt": "O0003"}},
        {"day": {"$gte": "2026-01-20"}},
        {"day": {"$lt": "2026-01-02"}},
    ]
    expected = [sorted(map(str, (d["_id"] for d in db.orders.find(q)))) for q in queries]
    db.orders.create_index("day")
    for query, wanted in zip(queries, expected, strict=True):
        found, scans = _read_noting_scans(lambda q=query: db.orders.find(q))
        assert not scans, query
        assert sorted(map(str, (d["_id"] for d in found))) == wanted
    assert expected[2] == ["\x00odd", "O0000", "O0001", "O0002"]
    assert "\x00odd" in expected[4] and "2" not in expected[4]


def test_a_partial_index_serves_only_the_queries_that_imply_its_filter(uri):
    db = connect(uri)
    db.orders.create_index(
        "updated_at", name="owed", partialFilterExpression={"owed.0": {"$exists": True}}
    )
    db.orders.insert_many(
        [
            {"_id": i, "updated_at": i, **({"owed": ["p"]} if i % 50 == 0 else {})}
            for i in range(200)
        ],
    )
    due = {"owed.0": {"$exists": True}, "updated_at": {"$lte": 120}}
    assert "i:orders:owed" in plan(db.orders.find(due))
    assert [d["_id"] for d in db.orders.find(due)] == [0, 50, 100]
    assert _read_noting_scans(lambda: db.orders.find({"updated_at": {"$lte": 120}}))[1]
    db.orders.update_one({"_id": 100}, {"$set": {"owed": []}})
    assert [d["_id"] for d in db.orders.find(due)] == [0, 50]


def test_each_or_clause_probes_its_own_index_and_the_union_matches_a_scan(uri):
    db = connect(uri)
    statuses = ["A", "B", "C"]
    db.orders.insert_many(
        [{"_id": i, "status": statuses[i % 3], "at": i, "flag": i % 7 == 0} for i in range(90)]
    )
    query = {"$or": [{"status": "A", "at": {"$lte": 30}}, {"flag": True}], "at": {"$gte": 3}}
    wanted = sorted(d["_id"] for d in db.orders.find(query))
    db.orders.create_index([("status", 1), ("at", 1)])
    db.orders.create_index("flag")
    found, scans = _read_noting_scans(lambda: db.orders.find(query))
    assert not scans
    assert sorted(d["_id"] for d in found) == wanted
    assert wanted == sorted({i for i in range(3, 31) if i % 3 == 0} | {i for i in range(7, 90, 7)})
    assert _read_noting_scans(lambda: db.orders.find({"$or": [{"flag": True}, {"x": 1}]}))[1]


def test_and_clauses_plan_like_top_level_conditions(uri):
    db = connect(uri)
    db.orders.insert_many([{"_id": i, "s": i % 2} for i in range(20)])
    query = {"$and": [{"_id": 4, "s": 0}, {"$or": [{"x": {"$exists": False}}]}]}
    found, scans = _read_noting_scans(lambda: db.orders.find(query))
    assert not scans
    assert [d["_id"] for d in found] == [4]


def test_a_sorted_page_read_in_index_order_is_the_page_a_full_sort_gives(uri, tmp_path):
    """Mixed types, missing fields, arrays and ties: each page equals the one the engine gives
    without indexes (sorting every candidate), in both directions, and reads no more rows."""
    import random
    from datetime import datetime, timedelta, timezone

    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    values = [None, 1, 2.5, -3, "", "a", "b", "\x00z", True, False, start, start + timedelta(1)]

    def doc(i):
        d = {"_id": f"d{i:03d}", "shop": rng.choice(["s1", "s2"])}
        if rng.random() < 0.9:
            d["at"] = rng.choice([*values, [rng.choice(values[1:7]), rng.choice(values[1:7])]])
        return d

    docs = [doc(i) for i in range(300)]
    plain = connect(f"sqlite:///{tmp_path}/plain.db")
    plain.orders.insert_many([dict(d) for d in docs])
    indexed = connect(uri)
    indexed.orders.create_index([("shop", 1), ("at", -1)])
    indexed.orders.create_index("at")
    indexed.orders.insert_many([dict(d) for d in docs])
    for query in (
        {},
        {"shop": "s1"},
        {"shop": "s2", "at": {"$exists": True}},
        {"at": {"$lt": "b"}},
        {"shop": "s1", "at": {"$gte": 1}},
    ):
        for way in (1, -1):
            for skip, limit in ((0, 5), (10, 40), (200, 200)):

                def page(db, q=query, w=way, s=skip, n=limit):
                    return db.orders.find(q, sort=[("at", w)], skip=s, limit=n)

                found, scans = _read_noting_scans(lambda p=page: p(indexed))
                assert not scans
                wanted = [d["_id"] for d in page(plain)]
                assert [d["_id"] for d in found] == wanted, (query, way, skip, limit)


def test_documents_in_the_sort_field_leave_ordering_to_the_full_sort(uri):
    db = connect(uri)
    db.orders.create_index("at")
    db.orders.insert_many([{"_id": 1, "at": {"x": 2}}, {"_id": 2, "at": {"x": 1}}, {"_id": 3}])
    assert [d["_id"] for d in db.orders.find({}, sort=[("at", 1)], limit=3)] == [3, 2, 1]


def test_insert_many_into_a_store_with_a_unique_index_keeps_no_refused_document(uri):
    """A new process's first write learns the store's indexes inside the write: a document
    the unique index refuses leaves neither its row nor its index entries."""
    from pymongo.errors import BulkWriteError

    first = connect(uri)
    first.things.insert_one({"_id": 0, "x": 0})
    first.things.create_index("x", unique=True)
    fresh = connect(uri)  # knows nothing of the index until it reads the schema
    with pytest.raises(BulkWriteError) as refused:
        fresh.things.insert_many([{"_id": 1, "x": 0}, {"_id": 2, "x": 2}], ordered=False)
    assert [e["index"] for e in refused.value.details["writeErrors"]] == [0]
    assert sorted(d["_id"] for d in fresh.things.find({})) == [0, 2]
    assert [d["_id"] for d in fresh.things.find({"x": 0})] == [0]


def test_bulk_writes_this_engine_would_run_otherwise_than_mongodb_are_refused(uri):
    """An UpdateMany that fails part-way keeps its earlier documents on MongoDB; per-request
    collation, array filters and hints change what a write matches. None is ignored."""
    from pymongo import UpdateMany, UpdateOne

    db = connect(uri)
    db.things.insert_one({"_id": 1, "tags": [1]})
    for request in (
        UpdateMany({}, {"$set": {"x": 1}}),
        UpdateOne({"_id": 1}, {"$set": {"x": 1}}, collation={"locale": "en"}),
        UpdateOne({"_id": 1}, {"$set": {"tags.$[t]": 2}}, array_filters=[{"t": 1}]),
        UpdateOne({"_id": 1}, {"$set": {"x": 1}}, hint="_id_"),
    ):
        with pytest.raises(TypeError):
            db.things.bulk_write([request])
    assert db.things.find_one({"_id": 1}) == {"_id": 1, "tags": [1]}


def test_an_id_index_cannot_be_partial_or_sparse(uri):
    db = connect(uri)
    for options in ({"partialFilterExpression": {"a": {"$exists": True}}}, {"sparse": True}):
        with pytest.raises(OperationFailure) as refused:
            db.things.create_index([("_id", 1)], name="id_partial", **options)
        assert refused.value.code == 67


def test_a_str_enum_written_is_indexed_as_the_string_it_is_stored_as(uri):
    """A partial filter names a status as text; code writes the status as a `str` enum.
    The document is in the partial index whether it was inserted or updated that way."""
    from enum import Enum

    class Status(str, Enum):
        OPEN = "OPEN"
        DONE = "DONE"

    db = connect(uri)
    db.things.create_index([("due", 1)], partialFilterExpression={"status": "OPEN"})
    db.things.insert_one({"_id": 1, "status": Status.OPEN, "due": 5})
    db.things.insert_one({"_id": 2, "status": Status.DONE, "due": 5})
    db.things.update_one({"_id": 2}, {"$set": {"status": Status.OPEN}})
    db.things.insert_one({"_id": 3, "status": Status.OPEN, "due": 9})
    db.things.update_one({"_id": 3}, {"$set": {"status": Status.DONE}})
    found = db.things.find({"status": "OPEN", "due": {"$lte": 5}}, sort=[("due", 1), ("_id", 1)])
    assert [d["_id"] for d in found] == [1, 2]
    assert db.things.find_one({"_id": 1})["status"] == "OPEN"


def test_an_int_enum_written_is_indexed_as_the_number_it_is_stored_as(uri):
    from enum import IntEnum

    class Level(IntEnum):
        LOW = 1
        HIGH = 2

    db = connect(uri)
    db.things.create_index([("at", 1)], partialFilterExpression={"level": 1})
    db.things.insert_one({"_id": 1, "level": Level.LOW, "at": 3, "flag": True})
    assert [d["_id"] for d in db.things.find({"level": 1, "at": {"$gte": 0}})] == [1]
    assert db.things.find_one({"_id": 1})["flag"] is True  # a bool stays a bool
