"""A shop with history behind it (scripts/year_old_shop.py, small): the history is finished
work, so every timer finds nothing of it to do, and every function and timer answers with no
query left to an unindexed read (the scan guard runs on each test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from retail.catalog import load_catalog
from tests.conftest import DEMO_CATALOG

from .harness import call, completed_order, handler, sample

TIMERS = (
    "order_expire",
    "order_repair",
    "order_autoconfirm",
    "payment_reconcile",
    "group_expire",
    "coupon_lapsed",
    "housekeeping_run",
    "shipping_sync",
    "profit_sharing_run",
    "bill_reconcile",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo scenario's finished documents, played once for the module (a week, 12 buyers)."""
    from scripts.year_old_shop import Template, build_template

    store = build_template(Path(tmp_path_factory.mktemp("template")), 7, 12, 3)
    yield Template(store)
    store.close()


@pytest.fixture
def year_old(db: Any, template: Any) -> Any:
    from scripts.year_old_shop import grow

    load_catalog(json.loads(DEMO_CATALOG.read_text(encoding="utf-8")), db)
    written = grow(db, template, orders=2_000, events=5_000, users=1_500, seed=5)
    assert written["orders"] >= 2_000 and written["users"] >= 1_500
    return db


def timer(name: str) -> dict[str, Any]:
    answer = handler(name)(sample(name), {"time_limit_in_ms": 60_000})
    assert answer["code"] == "OK", (name, answer)
    data: dict[str, Any] = answer["data"]
    return data


def test_the_history_is_finished_work_no_timer_finds_any_of_it(year_old):
    statuses = set(year_old.orders.distinct("status"))
    assert statuses <= {"COMPLETED", "CANCELLED", "REFUNDED", "FAILED"} and "COMPLETED" in statuses
    for name in TIMERS:
        if name == "coupon_lapsed":
            continue  # lapsed buyers are the campaign's real work on a shop this old
        summary = timer(name)
        assert summary.get("processed", 0) == 0 and summary.get("failed", 0) == 0, (name, summary)
    assert year_old.orders.count_documents({"settlement_due": {"$exists": True}}) == 0
    assert year_old.orders.count_documents({"shipping_due": {"$exists": True}}) == 0


def test_todays_work_on_a_year_old_shop_is_found_and_done(year_old):
    order = completed_order("year-old-today", "o-today")
    assert year_old.orders.count_documents({"settlement_due": {"$exists": True}}) == 1
    mine = call("order_list", {}, "o-today")["data"]["items"]
    assert [o["order_id"] for o in mine] == [order["order_id"]]
    for name in TIMERS:
        timer(name)  # each through its indexes (the scan guard checks every query)
