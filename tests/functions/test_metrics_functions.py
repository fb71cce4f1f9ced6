"""metrics_show: calls, answers by code and latency percentiles per function."""

from __future__ import annotations

from retail.common.metrics import percentile

from .harness import call, handler


def test_calls_and_errors_are_counted_per_function(seeded):
    def named(name, data):
        from .harness import cloudbase_context

        return handler(name)(data, {**cloudbase_context(), "function_name": name})

    for _ in range(3):
        named("catalog_browse", {})
    named("catalog_product", {"product_id": "p-none"})
    named("catalog_product", {"product_id": "p-mango"})
    admin = {
        "RETAIL_DEV_OPERATOR": "op:admin",
        "environment": "{}",
        "function_name": "metrics_show",
    }
    report = handler("metrics_show")({"minutes": 5}, admin)["data"]
    by_name = {f["function"]: f for f in report["functions"]}
    assert by_name["catalog_browse"]["calls"] == 3 and by_name["catalog_browse"]["p99_ms"] >= 5
    assert by_name["catalog_product"]["codes"] == {"OK": 1, "NOT_FOUND": 1}
    assert by_name["catalog_product"]["error_rate"] == 0.0
    service = {**admin, "RETAIL_DEV_OPERATOR": "op:service"}
    assert handler("metrics_show")({}, service)["code"] == "FORBIDDEN"
    assert call("metrics_show", {})["code"] == "UNAUTHENTICATED"


def test_percentiles_come_from_the_histogram():
    assert percentile({"le5": 90, "le50": 9, "le1000": 1}, 0.5) == 5
    assert percentile({"le5": 90, "le50": 9, "le1000": 1}, 0.99) == 50
    assert percentile({}, 0.5) is None


def test_the_report_says_how_late_another_instances_calls_may_be(seeded, monkeypatch):
    from retail.common import metrics

    def counted():
        return sum(d["calls"] for d in seeded.metrics.find({"function": "catalog_browse"}))

    admin = {"RETAIL_DEV_OPERATOR": "op:admin", "environment": "{}"}
    report = handler("metrics_show")({"minutes": 5}, admin)["data"]  # writes what is pending
    assert report["held_back_seconds"] == metrics.FLUSH_SECONDS == 5
    assert report["held_back_calls"] == metrics.FLUSH_CALLS
    assert "5 s" in report["freshness"] and "next called" in report["freshness"]
    # what it warns of: a call within the window after a write stays in its instance
    before = counted()
    monkeypatch.setitem(metrics._STATE, "flushed", float("inf"))
    call("catalog_browse", {})
    assert counted() == before
    metrics.flush_metrics()  # as the instance's next due call does
    assert counted() == before + 1
