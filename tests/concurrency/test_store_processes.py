"""Real processes racing on one stock document through retail.store: never oversold; on the
embedded engine and, with RETAIL_TEST_MONGODB_URI, on MongoDB (tests/concurrency/conftest.py)."""

from __future__ import annotations

import pytest

from retail.store import connect

from .racing import race


def _buy_until_sold_out(uri: str, hot: str, qty: int, start, results) -> None:
    db = connect(uri)
    start.wait()
    sold = errors = 0
    while True:
        try:
            doc = db.skus.find_one_and_update(
                {"_id": hot, "stock": {"$gte": qty}}, {"$inc": {"stock": -qty, "sold": qty}}
            )
        except Exception:  # noqa: BLE001 - counted and asserted to be zero
            errors += 1
            continue
        if doc is None:
            break
        sold += qty
    results.put((sold, errors))


@pytest.mark.parametrize(("processes", "stock", "qty"), [(4, 1000, 1), (6, 997, 3), (8, 50, 7)])
def test_processes_sell_exactly_the_stock(store_uri, run, processes, stock, qty):
    uri, hot = store_uri, f"{run}-hot"
    connect(uri).skus.insert_one({"_id": hot, "stock": stock, "sold": 0})
    outcomes = race(_buy_until_sold_out, [(uri, hot, qty)] * processes)
    sellable = stock - stock % qty
    assert sum(sold for sold, _ in outcomes) == sellable
    assert sum(errors for _, errors in outcomes) == 0
    assert connect(uri).skus.find_one({"_id": hot}) == {
        "_id": hot,
        "stock": stock - sellable,
        "sold": sellable,
    }
    connect(uri).skus.delete_one({"_id": hot})


def _count_up(uri: str, run: str, start, results) -> None:
    db = connect(uri)
    start.wait()
    for n in range(200):
        db.counters.update_one({"_id": f"{run}-c{n % 5}"}, {"$inc": {"n": 1}}, upsert=True)
    results.put(True)


def test_processes_upserting_new_counters_lose_nothing(store_uri, run):
    uri = store_uri
    connect(uri).counters.insert_one({"_id": f"{run}-seed"})
    assert all(race(_count_up, [(uri, run)] * 6))
    ours = {"_id": {"$regex": f"^{run}-c"}}
    counts = {d["_id"]: d.get("n") for d in connect(uri).counters.find(ours)}
    connect(uri).counters.delete_many({"_id": {"$regex": f"^{run}-"}})
    assert counts == {f"{run}-c{i}": 240 for i in range(5)}
