"""A stock level split into buckets (inventory/buckets.py) through the functions: orders
spread over the buckets and every later move finds theirs; availability and the audit add
them up; sold out is known without writing a losing order; the timer evens them out; a
level joined again keeps what its orders hold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retail.common.clock import travel
from retail.inventory import audit_stock, buckets
from retail.orders import mark_paid

from .harness import as_operator, call, handler, sample

SKU = "p-mango-1"
HOME = f"{SKU}@central"


def split(buckets: int, sku: str = SKU) -> dict:
    answer = as_operator("stock_split", {"sku_id": sku, "location": "central", "buckets": buckets})
    assert answer["code"] == "OK", answer
    return answer["data"]


def order(key: str, openid: str = "o-test-user", qty: int = 1) -> dict:
    data = {**sample("order_place"), "items": [{"sku_id": SKU, "qty": qty}], "idempotency_key": key}
    return call("order_place", data, openid)


def levels(db) -> dict[str, tuple[int, int, int]]:
    found = db.stock.find({"sku_id": SKU, "location": "central"}, sort=[("_id", 1)])
    return {d["_id"]: (d["available"], d["reserved"], d["sold"]) for d in found}


def total_available(db, sku: str = SKU) -> int:
    return sum(d["available"] for d in db.stock.find({"sku_id": sku, "location": "central"}))


def set_available(db, total: int) -> None:
    """The level holds `total` units, all in its own document, written off or received."""
    level = db.stock.find_one({"_id": HOME})
    delta = total - level["available"]
    db.stock.update_one({"_id": HOME}, {"$inc": {"available": delta, "received": delta}})


def rebalance() -> dict:
    answer = handler("stock_rebalance")(sample("stock_rebalance"), {"time_limit_in_ms": 60_000})
    assert answer["code"] == "OK", answer
    return answer["data"]


def test_a_split_spreads_what_is_available_and_shows_the_same_stock(seeded):
    set_available(seeded, 198)
    assert split(4)["available"] == [50, 50, 49, 49]
    assert [a for a, _, _ in levels(seeded).values()] == [50, 50, 49, 49]
    product = call("catalog_product", {"product_id": "p-mango"})["data"]
    sku = next(s for s in product["skus"] if s["sku_id"] == SKU)
    assert (sku["stock"], sku["stock_buckets"]) == (198, 4)
    preview = {**sample("order_preview"), "items": [{"sku_id": SKU, "qty": 99}]}
    assert call("order_preview", preview)["code"] == "OK"  # more than one bucket holds
    assert audit_stock(seeded) == []


def test_orders_spread_over_the_buckets_and_each_move_finds_its_own(seeded):
    split(4)
    placed = [order(f"bucket-order-{n:04d}", openid=f"o-bucket-{n}")["data"] for n in range(12)]
    stored = {o["_id"]: o for o in seeded.orders.find({})}
    buckets = [stored[o["order_id"]]["lines"][0].get("bucket", 0) for o in placed]
    assert len(set(buckets)) >= 3  # the hash spreads them
    for o in placed[:4]:
        assert mark_paid(seeded, o["order_id"], f"TX-{o['order_id']}", o["total"])
    for n, o in enumerate(placed[4:8], start=4):
        assert call("order_cancel", {"order_id": o["order_id"]}, f"o-bucket-{n}")["code"] == "OK"
    reserved = sum(r for _, r, _ in levels(seeded).values())
    sold = sum(s for _, _, s in levels(seeded).values())
    assert (reserved, sold) == (4, 4)
    assert audit_stock(seeded) == []


def test_an_empty_bucket_sends_the_order_to_the_next_and_sold_out_writes_nothing(seeded):
    set_available(seeded, 4)
    split(4)
    assert [order(f"last-units-{n:04d}", openid=f"o-last-{n}")["code"] for n in range(4)] == [
        "OK"
    ] * 4
    losing = order("last-units-0005")
    assert losing["code"] == "OUT_OF_STOCK" and losing["details"]["sku_id"] == SKU
    written = seeded.orders.count_documents({})
    again = order("last-units-0006")
    assert again["code"] == "OUT_OF_STOCK" and seeded.orders.count_documents({}) == written
    first = seeded.orders.find_one({"idempotency_key": "last-units-0000"})
    assert call("order_cancel", {"order_id": first["_id"]}, "o-last-0")["code"] == "OK"
    travel(timedelta(seconds=6))  # the sold-out hold has passed: the unit back is sold again
    try:
        assert order("last-units-0007")["code"] == "OK"
    finally:
        travel(timedelta(0))
    assert audit_stock(seeded) == []


def test_units_received_end_the_sold_out_hold_at_once(seeded):
    set_available(seeded, 1)
    assert order("received-0001")["code"] == "OK"
    assert order("received-0002")["code"] == "OUT_OF_STOCK"
    adjust = {"sku_id": SKU, "location": "central", "delta": 5, "reason": "到货"}
    assert as_operator("stock_adjust", adjust)["code"] == "OK"
    assert order("received-0003")["code"] == "OK"


def test_the_timer_evens_out_drained_buckets_and_a_join_keeps_what_orders_hold(seeded):
    set_available(seeded, 40)
    split(4)
    drain = seeded.stock.find_one_and_update(  # orders drained one bucket (as if by hash)
        {"_id": f"{HOME}#1"}, {"$set": {"available": 0}, "$inc": {"adjusted": 10}}
    )
    assert drain["available"] == 10
    assert rebalance()["processed"] == 1
    assert sorted(a for a, _, _ in levels(seeded).values()) == [7, 7, 8, 8]
    placed = [order(f"join-{n:04d}", openid=f"o-join-{n}")["data"] for n in range(6)]
    assert split(1)["available"][0] == 24
    assert [a for a, _, _ in levels(seeded).values()] == [24, 0, 0, 0]
    for o in placed:  # their units stayed in their buckets: paying still finds them
        assert mark_paid(seeded, o["order_id"], f"TX-{o['order_id']}", o["total"])
    assert sum(s for _, _, s in levels(seeded).values()) == 6
    assert order("after-join-0001")["code"] == "OK"
    assert (
        seeded.orders.find_one({"idempotency_key": "after-join-0001"})["lines"][0].get("bucket", 0)
        == 0
    )
    assert audit_stock(seeded) == []


def test_a_transfer_that_stopped_half_way_is_finished_once_by_the_timer(seeded, monkeypatch):
    from retail.inventory import buckets

    set_available(seeded, 20)
    split(2)
    real = buckets._finish
    monkeypatch.setattr(buckets, "_finish", lambda *a, **k: None)  # died after the take
    seeded.stock.update_one({"_id": f"{HOME}#1"}, {"$inc": {"available": -10, "adjusted": 10}})
    rebalance()
    assert any("unfinished" in p for p in audit_stock(seeded))
    monkeypatch.setattr(buckets, "_finish", real)
    assert rebalance()["skipped"] == 0  # not before nothing can still be running it
    travel(buckets.TRANSFER_LIMIT + timedelta(seconds=1))
    try:
        assert rebalance()["skipped"] == 1
        assert rebalance()["skipped"] == 0
    finally:
        travel(timedelta(0))
    assert audit_stock(seeded) == []
    assert sum(a for a, _, _ in levels(seeded).values()) == 10


@pytest.mark.parametrize("buckets", [0, 33])
def test_a_split_outside_1_to_32_is_refused_and_writes_nothing(seeded, buckets):
    answer = as_operator("stock_split", {"sku_id": SKU, "location": "central", "buckets": buckets})
    assert answer["code"] == "INVALID_ARGUMENT"
    assert list(levels(seeded)) == [HOME]


def test_a_merchant_splits_only_its_own_skus(seeded):
    mine = seeded.skus.find_one({"_id": SKU})["merchant_id"]
    other = seeded.skus.find_one({"merchant_id": {"$ne": mine}})
    data = {"sku_id": other["_id"], "location": "central", "buckets": 2}
    assert as_operator("stock_split", data, role=f"merchant:{mine}")["code"] == "NOT_FOUND"
    assert seeded.stock.count_documents({"sku_id": other["_id"], "bucket": {"$exists": True}}) == 0
    own = {"sku_id": SKU, "location": "central", "buckets": 2}
    assert as_operator("stock_split", own, role=f"merchant:{mine}")["code"] == "OK"


def test_two_timers_never_finish_one_stopped_transfer_twice(seeded, monkeypatch):
    """Found by review: two runs of stock_rebalance (a timer may fire twice) both listed a
    stopped transfer; the later, acting on what it read, gave the units again once the first
    had cleared the markers guarding the give. Each run now claims a transfer first."""
    set_available(seeded, 20)
    split(2)  # 10 + 10
    real_finish = buckets._finish
    monkeypatch.setattr(buckets, "_finish", lambda *a, **k: None)  # died after the take
    assert buckets.transfer(seeded, HOME, f"{HOME}#1", 5)
    monkeypatch.setattr(buckets, "_finish", real_finish)
    assert total_available(seeded) == 15  # 5 in flight

    inner = []

    def racing_finish(db, doc, status):
        if not inner:  # timer B, started a moment later, listed the same transfer
            inner.append(1)
            assert buckets.finish_transfers(db) == 0  # B finds it claimed by A
        real_finish(db, doc, status)  # then A goes on from what it read

    travel(buckets.TRANSFER_LIMIT + timedelta(seconds=1))
    try:
        monkeypatch.setattr(buckets, "_finish", racing_finish)
        buckets.finish_transfers(seeded)  # timer A
    finally:
        travel(timedelta(0))
    assert (total_available(seeded), audit_stock(seeded)) == (20, [])


@pytest.mark.parametrize("earlier_levels", [0, 200])
def test_the_timer_reaches_every_split_level_in_turn(seeded, earlier_levels):
    """Found by review: the timer read the first 200 levels ever split, with no cursor, so
    units released into a later joined level's buckets stayed out of order_place's reach.
    It now goes on each run where the last stopped (the timer's job cursor)."""
    old = [  # levels split before (past flash sales) and joined since
        {
            "_id": f"old-{n:03d}@central",
            "sku_id": f"old-{n:03d}",
            "location": "central",
            "available": 0,
            "reserved": 0,
            "sold": 0,
            "received": 0,
            "adjusted": 0,
            "buckets": 1,
            "bucket_docs": 2,
        }
        for n in range(earlier_levels)
    ]
    if old:
        seeded.stock.insert_many(old)
    set_available(seeded, 8)
    split(4)  # 2 per bucket
    placed = [order(f"join-strand-{n:02d}", f"o-strand-{n}") for n in range(8)]
    assert [p["code"] for p in placed] == ["OK"] * 8
    split(1)  # the flash sale is over: joined
    for n, p in enumerate(placed):  # the buyers do not pay: their units come back
        cancel = call("order_cancel", {"order_id": p["data"]["order_id"]}, f"o-strand-{n}")
        assert cancel["code"] == "OK"
    for _ in range(3):  # three minutes of the timer
        rebalance()
    product = call("catalog_product", {"product_id": "p-mango"})["data"]
    shown = next(s for s in product["skus"] if s["sku_id"] == SKU)["stock"]
    home = seeded.stock.find_one({"_id": HOME})["available"]
    late = order("after-join-01", "o-late", qty=3)  # 8 shown, 3 wanted
    assert (shown, home, late["code"]) == (8, 8, "OK")


def test_two_splits_at_once_never_lose_a_bucket(seeded):
    """Found by review: a split to 4 racing a split to 8 wrote back the 4 it had read
    beside, so buckets 4..7 held units nothing reached again. `bucket_docs` only grows now."""
    from retail.inventory import split_level

    set_available(seeded, 80)

    class RacingStock:
        def __init__(self):
            self.raced = False

        def __getattr__(self, name):
            return getattr(seeded.stock, name)

        def find_one(self, *args, **kwargs):
            found = seeded.stock.find_one(*args, **kwargs)
            if not self.raced:  # B has read bucket_docs; A splits to 8 meanwhile
                self.raced = True
                split_level(seeded, SKU, "central", 8)
            return found

    class Store:
        stock = RacingStock()

        def __getattr__(self, name):
            return getattr(seeded, name)

    split_level(Store(), SKU, "central", 4)  # B
    for _ in range(3):
        rebalance()
    for n in range(4):  # buyers take what order_place can reach (10 per reachable bucket)
        assert order(f"race-split-{n}", f"o-race-{n}", qty=10)["code"] == "OK"
    for _ in range(3):
        rebalance()
    product = call("catalog_product", {"product_id": "p-mango"})["data"]
    shown = next(s for s in product["skus"] if s["sku_id"] == SKU)["stock"]
    late = order("race-split-late", "o-race-late")
    joined = sum(split(1)["available"])  # even a join does not bring them back
    assert (shown, late["code"], joined) == (40, "OK", 39)  # the late order took one


def test_the_timer_tells_the_sku_what_a_split_that_died_half_way_did_not(seeded):
    """A split that died after the level's document and before the SKU heard of it (a
    review's suspicion): orders would keep to bucket 0; the timer writes the SKU's count."""
    split(4)
    seeded.skus.update_one({"_id": SKU}, {"$unset": {"stock_split.buckets": ""}})
    rebalance()
    assert seeded.skus.find_one({"_id": SKU})["stock_split"]["buckets"] == {"central": 4}
    split(1)
    seeded.skus.update_one({"_id": SKU}, {"$set": {"stock_split.buckets.central": 4}})
    rebalance()
    assert seeded.skus.find_one({"_id": SKU})["stock_split"]["buckets"] == {}


def test_a_transfer_still_running_when_the_timer_takes_it_for_dead_gives_once(seeded, monkeypatch):
    """Found by the second review: the process that made a transfer, still running past
    TRANSFER_LIMIT after its take, gave the units again once the timer had finished it. It
    now sees the timer's claim and leaves the give to it."""
    set_available(seeded, 20)
    split(2)
    real_fault = buckets.fault_point

    def paused(name):
        if name == "stock_transfer:after_take":
            travel(buckets.TRANSFER_LIMIT + timedelta(seconds=1))
            try:
                assert buckets.finish_transfers(seeded) == 1  # the timer, meanwhile
            finally:
                travel(timedelta(0))
        real_fault(name)

    monkeypatch.setattr(buckets, "fault_point", paused)
    assert buckets.transfer(seeded, HOME, f"{HOME}#1", 5)
    assert (total_available(seeded), audit_stock(seeded)) == (20, [])


def test_a_take_that_comes_after_the_timer_gave_the_transfer_up_is_refused(seeded, monkeypatch):
    """Found by the second review: a transfer given up as never taken, whose process then
    took the units and died, lost them. Giving up now leaves a VOID marker that refuses the
    late take; the next run removes it."""
    set_available(seeded, 20)
    split(2)
    real_insert = seeded.stock_transfers.insert_one

    def then_the_timer(doc, *args, **kwargs):
        done = real_insert(doc, *args, **kwargs)
        travel(buckets.TRANSFER_LIMIT + timedelta(seconds=1))
        try:
            assert buckets.finish_transfers(seeded) == 1  # voided: nothing taken yet
        finally:
            travel(timedelta(0))
        return done

    class Transfers:
        def __getattr__(self, name):
            return getattr(seeded.stock_transfers, name)

        insert_one = staticmethod(then_the_timer)

    class Store:
        stock_transfers = Transfers()

        def __getattr__(self, name):
            return getattr(seeded, name)

    assert not buckets.transfer(Store(), HOME, f"{HOME}#1", 5)  # the late take is refused
    assert total_available(seeded) == 20
    travel(buckets.TRANSFER_LIMIT * 2 + timedelta(seconds=2))
    try:
        assert buckets.finish_transfers(seeded) == 1  # the void goes, the transfer settles
    finally:
        travel(timedelta(0))
    assert audit_stock(seeded) == []
    assert [s["_id"] for s in seeded.stock.find({}) if s.get("ops")] == []


@pytest.mark.parametrize(
    ("location", "code"),
    [("central#1", "INVALID_ARGUMENT"), ("s-nowhere", "NOT_FOUND")],
    ids=["a bucket named as a location", "a level that does not exist"],
)
def test_a_split_of_a_level_that_is_not_one_is_refused_and_writes_nothing(seeded, location, code):
    """A caller may not name a bucket document as a location, nor conjure a level."""
    from tests.conftest import business_state

    before = business_state(seeded)
    answer = as_operator("stock_split", {"sku_id": SKU, "location": location, "buckets": 2})
    assert answer["code"] == code, answer
    assert business_state(seeded) == before
