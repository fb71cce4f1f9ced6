"""An upsert whose filter has a condition beside `_id`, when another writer inserts the same
document first: MongoDB does not retry it (the duplicate key is not the whole query), so the
store's `upsert_where` applies it to the winner's document under the same condition. Shown
here on each engine with the race made to happen; tests/concurrency/test_upsert_processes.py
runs it with real processes, on a real MongoDB too."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.store import upsert_where

WHERE = {"_id": "cap", "units": {"$lte": 4}, "orders.b": {"$exists": False}}
TAKE = {"$inc": {"units": 1}, "$set": {"orders.b": 1}}


class LostTheRace:
    """A collection where another writer inserts `winner` between the upsert's search and its
    insert, which then fails as it does on a replica set."""

    def __init__(self, documents: Any, winner: dict[str, Any]) -> None:
        self.documents, self.winner, self.raced = documents, winner, False

    def update_one(self, where: Any, update: Any, upsert: bool = False) -> Any:
        if upsert and not self.raced:
            self.raced = True
            self.documents.insert_one(self.winner)
            raise DuplicateKeyError("E11000 duplicate key error collection: caps index: _id_")
        return self.documents.update_one(where, update, upsert=upsert)


def test_the_loser_of_a_first_write_race_applies_its_write_to_the_winners_document(db):
    racing = LostTheRace(db.caps, {"_id": "cap", "units": 1, "orders": {"a": 1}})
    assert upsert_where(racing, WHERE, TAKE) is not None
    assert racing.raced
    assert db.caps.find_one({"_id": "cap"}) == {
        "_id": "cap",
        "units": 2,
        "orders": {"a": 1, "b": 1},
    }


def test_the_loser_is_refused_when_the_winners_document_fails_the_condition(db):
    full = {"_id": "cap", "units": 5, "orders": {"a": 5}}
    assert upsert_where(LostTheRace(db.caps, full), WHERE, TAKE) is None
    assert db.caps.find_one({"_id": "cap"}) == full


def test_without_a_race_it_inserts_updates_or_refuses(db):
    assert upsert_where(db.caps, WHERE, TAKE).upserted_id == "cap"
    assert upsert_where(db.caps, WHERE, TAKE) is None  # this order holds its units already
    again = {"_id": "cap", "units": {"$lte": 4}, "orders.c": {"$exists": False}}
    assert upsert_where(db.caps, again, {"$inc": {"units": 1}, "$set": {"orders.c": 1}})
    assert db.caps.find_one({"_id": "cap"})["units"] == 2
