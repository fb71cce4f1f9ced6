"""A stock level's marker names the move an order last made on it (inventory.moves): it is
what keeps a move from being made twice across a crash. Clearing one that outlived its
recorded move must never clear a move another process made since."""

from __future__ import annotations

from contextlib import suppress

from retail.inventory import audit_stock
from retail.orders import lifecycle
from retail.orders.lifecycle import settle_stock
from retail.orders.refunding import start_refunding

from .harness import Crash, paid_order

LEVEL = "p-mango-1@central"


def _level(db):
    return db.stock.find_one({"_id": LEVEL})


def test_a_stale_marker_is_cleared_only_while_it_is_the_one_read(seeded, monkeypatch):
    """B settles an order whose SELL marker a crash kept; meanwhile C refunds it, moves its
    stock back (marker RESTOCK) and dies before recording that. B must leave C's marker, or
    the next settle would not know the move was made and would restock the units twice."""
    order = paid_order("stale-marker-0001", items=[{"sku_id": "p-mango-1", "qty": 1}])
    oid = order["order_id"]
    seeded.stock.update_one({"_id": LEVEL}, {"$set": {f"ops.{oid}": "SELL"}})  # the crash's
    seeded.orders.update_one({"_id": oid}, {"$set": {"stock_settled": False}})
    sold = _level(seeded)["sold"]
    real_keep, real_fault = lifecycle._give_back_or_keep, lifecycle.fault_point

    def refund_meanwhile(db, stale, restocked):
        monkeypatch.setattr(lifecycle, "_give_back_or_keep", real_keep)

        def dies(name):
            if name == "settle_stock:after_move_1":
                raise Crash(name)

        monkeypatch.setattr(lifecycle, "fault_point", dies)
        with suppress(Crash):  # C: PAID -> REFUNDING, its restock made, then the process dies
            start_refunding(db, oid, stale["status"], "c", extra={"restock": True})
        monkeypatch.setattr(lifecycle, "fault_point", real_fault)
        real_keep(db, stale, restocked)

    monkeypatch.setattr(lifecycle, "_give_back_or_keep", refund_meanwhile)
    settle_stock(seeded, seeded.orders.find_one({"_id": oid}))  # B
    assert _level(seeded)["ops"][oid] == "RESTOCK"  # C's move keeps its marker
    settle_stock(seeded, seeded.orders.find_one({"_id": oid}))  # repair, after the crash
    assert _level(seeded)["sold"] == sold - 1  # restocked once
    assert oid not in (_level(seeded).get("ops") or {})
    assert audit_stock(seeded) == []


def test_a_placing_finished_by_a_retry_gives_back_what_it_reserves_after(seeded, monkeypatch):
    """The first call is still reserving when a retry takes it for dead and fails the order
    (a clock that runs ahead, a delayed write): what the first call reserves after that goes
    back, and it answers the refusal, not OK for a failed order."""
    from datetime import timedelta

    from retail.common.clock import travel
    from retail.orders import reserving

    from .harness import place

    items = [{"sku_id": "p-eggs-1", "qty": 1}, {"sku_id": "p-mango-1", "qty": 1}]
    real = reserving.fault_point
    retried = []

    def retry_meanwhile(name):
        if name == "order_place:after_line_1" and not retried:
            travel(timedelta(seconds=21))
            try:
                retried.append(place("fenced-0001", items=items))
            finally:
                travel(timedelta(0))
        return real(name)

    monkeypatch.setattr(reserving, "fault_point", retry_meanwhile)
    first = place("fenced-0001", items=items)
    assert retried[0]["code"] == "CONFLICT" and retried[0]["details"]["reason"] == "INTERRUPTED"
    assert first["code"] == "CONFLICT" and first["details"]["reason"] == "INTERRUPTED"
    assert seeded.orders.find_one({"idempotency_key": "fenced-0001"})["status"] == "FAILED"
    assert [s["_id"] for s in seeded.stock.find({}) if s.get("ops")] == []
    assert audit_stock(seeded) == []
