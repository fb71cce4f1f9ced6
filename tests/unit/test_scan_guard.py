"""The scan guard itself: it catches a query of the project's code that no index serves, and
only that."""

from __future__ import annotations

import pytest

from retail_dev.embedded.scans import Scan, listen
from tests.functions.harness import call
from tests.scan_guard import ROOT, offending


@pytest.mark.scans_on_purpose
def test_a_query_left_without_its_index_is_caught_with_its_caller(seeded):
    seeded.reviews.drop_index("product_id_1_hidden_1_created_at_-1__id_1")
    seen: list[Scan] = []
    stop = listen(seen.append)
    try:
        assert call("review_list", {"product_id": "p-mango"}, "o-guarded")["code"] == "OK"
    finally:
        stop()
    found = offending(seen)
    assert [scan.collection for scan in found] == ["reviews"]
    assert "'product_id': '?'" in found[0].shape
    assert found[0].callers[0].startswith(str(ROOT / "layers/retail/retail/reviews"))


def test_a_tests_own_look_and_the_small_fixed_collections_are_not_caught(seeded):
    seen: list[Scan] = []
    stop = listen(seen.append)
    try:
        list(seeded.orders.find({"note": "anything"}))  # this test's own read
        assert call("catalog_browse", {}, "o-guarded")["code"] == "OK"  # the catalogue
    finally:
        stop()
    assert seen and offending(seen) == []
