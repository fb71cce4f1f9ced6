"""The test server's URI names a database of the test's own, its options kept, whatever the
URI the developer gave (tests/mongo_server.py)."""

from __future__ import annotations

import pytest
from pymongo.uri_parser import parse_uri

from tests.mongo_server import with_database


@pytest.mark.parametrize(
    "given",
    [
        "mongodb://127.0.0.1:27017",
        "mongodb://127.0.0.1:27017/",
        "mongodb://u:p@10.0.0.5:27017,10.0.0.6:27017/retail?authSource=admin&replicaSet=rs0",
        "mongodb://h1:27017,h2:27017/?replicaSet=rs0&retryWrites=true",
    ],
)
def test_the_uri_names_the_tests_database_and_keeps_the_rest(given):
    made = with_database(given, "retail_races_1")
    parsed, original = parse_uri(made, connect_timeout=1), parse_uri(given, connect_timeout=1)
    assert parsed["database"] == "retail_races_1"
    assert parsed["nodelist"] == original["nodelist"] and parsed["options"] == original["options"]
    assert (parsed["username"], parsed["password"]) == (original["username"], original["password"])
