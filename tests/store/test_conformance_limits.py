"""What MongoDB refuses to store, the embedded engine refuses too, with pymongo's exceptions
(document size, int64, `$` field names), so code that passes here passes on MongoDB."""

from __future__ import annotations

import pytest
from bson.errors import InvalidDocument
from pymongo.errors import DocumentTooLarge, WriteError

from .conftest import skip_on_mongomock

MIB = 1024 * 1024
REFUSED_NAME = (InvalidDocument, WriteError)  # pymongo refuses client-side, the server as a write


def test_a_document_over_16_mib_is_refused(db):
    skip_on_mongomock(db, "the 16 MiB document limit")
    with pytest.raises(DocumentTooLarge):
        db.big.insert_one({"_id": "b", "blob": "x" * (16 * MIB + 1)})
    assert db.big.find_one({"_id": "b"}) is None


def test_a_document_just_under_16_mib_is_stored(db):
    skip_on_mongomock(db, "the 16 MiB document limit")
    db.big.insert_one({"_id": "b", "blob": "x" * (15 * MIB)})
    assert len(db.big.find_one({"_id": "b"})["blob"]) == 15 * MIB


def test_an_update_that_grows_a_document_over_16_mib_is_refused(db):
    skip_on_mongomock(db, "the 16 MiB document limit")
    db.big.insert_one({"_id": "b", "parts": []})
    db.big.update_one({"_id": "b"}, {"$push": {"parts": "x" * (9 * MIB)}})
    with pytest.raises((DocumentTooLarge, WriteError)):
        db.big.update_one({"_id": "b"}, {"$push": {"parts": "y" * (9 * MIB)}})
    assert len(db.big.find_one({"_id": "b"})["parts"]) == 1


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_an_integer_beyond_int64_is_refused(db, value):
    skip_on_mongomock(db, "BSON integer widths")
    with pytest.raises(OverflowError):
        db.numbers.insert_one({"_id": "n", "value": value})
    assert db.numbers.find_one({"_id": "n"}) is None


def test_int64_bounds_are_stored(db):
    db.numbers.insert_one({"_id": "n", "high": 2**63 - 1, "low": -(2**63)})
    assert db.numbers.find_one({"_id": "n"})["high"] == 2**63 - 1


def test_a_top_level_field_name_starting_with_dollar_is_refused(db):
    with pytest.raises(REFUSED_NAME):
        db.names.insert_one({"_id": "d", "$where": 1})
    assert db.names.find_one({"_id": "d"}) is None
