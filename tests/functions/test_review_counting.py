"""A review is counted in its product's rating exactly once, whichever calls race or die:
the interleavings the real-process test (tests/concurrency/test_review_races.py) cannot
force, forced here."""

from __future__ import annotations

from datetime import timedelta

from retail.common.clock import utcnow
from retail.reviews import reviews as reviews_module

from .harness import call, completed_order


def _rating(db):
    return db.products.find_one({"_id": "p-mango"}).get("rating") or {"count": 0, "sum": 0}


def _review(order, rating=4):
    return {"order_id": order["order_id"], "sku_id": "p-mango-1", "rating": rating, "text": "甜"}


def test_a_call_racing_the_writer_neither_publishes_nor_counts(seeded, monkeypatch):
    order = completed_order("review-race-01")
    count = reviews_module._count
    rivals = []

    def a_rival_arrives_first(db, review):
        if not rivals:  # between the writer's insert and its count, the same review again
            rivals.append(call("review_create", _review(order, rating=1)))
        count(db, review)

    monkeypatch.setattr(reviews_module, "_count", a_rival_arrives_first)
    first = call("review_create", _review(order))
    assert first["code"] == "OK" and first["data"]["rating"] == 4
    assert rivals[0]["code"] == "CONFLICT"
    assert _rating(seeded) == {"count": 1, "sum": 4}


def test_a_review_whose_writer_died_is_counted_once_by_the_next_call(seeded):
    order = completed_order("review-race-02")
    assert call("review_create", _review(order))["code"] == "OK"
    review_id = f"{order['order_id']}:p-mango-1"
    # As if the writer had died before counting: uncounted, its lease still fresh.
    seeded.reviews.update_one(
        {"_id": review_id}, {"$set": {"counted": False, "count_lease": utcnow()}}
    )
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"rating": {"count": 0, "sum": 0}}})
    assert call("review_create", _review(order))["code"] == "CONFLICT"  # its writer may live
    assert _rating(seeded) == {"count": 0, "sum": 0}
    lapsed = utcnow() - reviews_module.COUNT_LEASE - timedelta(seconds=1)
    seeded.reviews.update_one({"_id": review_id}, {"$set": {"count_lease": lapsed}})
    assert call("review_create", _review(order))["code"] == "OK"
    assert call("review_create", _review(order))["code"] == "CONFLICT"
    assert _rating(seeded) == {"count": 1, "sum": 4}
    assert seeded.reviews.find_one({"_id": review_id})["counted"] is True


def test_a_writer_that_died_after_counting_is_not_counted_again(seeded):
    order = completed_order("review-race-03")
    assert call("review_create", _review(order))["code"] == "OK"
    review_id = f"{order['order_id']}:p-mango-1"
    marker = review_id.replace(":", "_")
    # Died after the rating moved, before the review was marked counted.
    lapsed = utcnow() - reviews_module.COUNT_LEASE - timedelta(seconds=1)
    seeded.reviews.update_one(
        {"_id": review_id}, {"$set": {"counted": False, "count_lease": lapsed}}
    )
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {f"ops.{marker}": 1}})
    assert call("review_create", _review(order))["code"] == "OK"
    assert _rating(seeded) == {"count": 1, "sum": 4}
    assert marker not in (seeded.products.find_one({"_id": "p-mango"}).get("ops") or {})


def test_a_review_its_writer_left_uncounted_can_still_be_hidden(seeded):
    from .harness import as_operator

    order = completed_order("review-race-04")
    assert call("review_create", _review(order))["code"] == "OK"
    review_id = f"{order['order_id']}:p-mango-1"
    lapsed = utcnow() - reviews_module.COUNT_LEASE - timedelta(seconds=1)
    seeded.reviews.update_one(
        {"_id": review_id}, {"$set": {"counted": False, "count_lease": lapsed}}
    )
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"rating": {"count": 0, "sum": 0}}})
    hidden = as_operator("review_moderate", {"review_id": review_id, "hidden": True})
    assert hidden["code"] == "OK"
    assert call("review_list", {"product_id": "p-mango"})["data"]["reviews"] == []
    assert call("review_create", _review(order))["code"] == "OK"  # counted now: left out
    assert _rating(seeded) == {"count": 0, "sum": 0}
    shown = as_operator("review_moderate", {"review_id": review_id, "hidden": False})
    assert shown["code"] == "OK" and _rating(seeded) == {"count": 1, "sum": 4}


def test_a_review_written_before_count_leases_is_counted_by_the_next_call(seeded):
    order = completed_order("review-race-05")
    assert call("review_create", _review(order))["code"] == "OK"
    review_id = f"{order['order_id']}:p-mango-1"
    seeded.reviews.update_one(
        {"_id": review_id}, {"$set": {"counted": False}, "$unset": {"count_lease": ""}}
    )
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"rating": {"count": 0, "sum": 0}}})
    assert call("review_create", _review(order))["code"] == "OK"
    assert _rating(seeded) == {"count": 1, "sum": 4}
