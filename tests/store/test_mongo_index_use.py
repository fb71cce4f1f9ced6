"""On a real MongoDB (RETAIL_TEST_MONGODB_URI), as production opens it and with init_db's
indexes: a buyer's session and every timer run through their handlers, each query the
project's code makes is recorded, and MongoDB's own explain() must show an index serving
it (tests/store/mongo_plans.py reads the plans). The embedded engine's guard
(tests/scan_guard.py) checks the same on every test here; this one asks the real planner."""

from __future__ import annotations

import inspect
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.functions.harness import as_operator, call, handler, sample
from tests.mongo_server import with_database
from tests.scan_guard import PRODUCTION, SMALL_AND_FIXED, WHOLE_STORE_READERS

from .mongo_plans import scans

MONGODB_URI = os.environ.get("RETAIL_TEST_MONGODB_URI")
ROOT = Path(__file__).resolve().parents[2]
READS = ("find", "find_one", "count_documents", "find_one_and_update", "update_one")
READS += ("update_many", "delete_one", "delete_many", "replace_one", "find_one_and_delete")
TIMERS = (
    "order_expire",
    "order_repair",
    "order_autoconfirm",
    "payment_reconcile",
    "settlement_run",
    "stock_rebalance",
    "analytics_rollup",
    "housekeeping_run",
    "coupon_lapsed",
    "group_expire",
)

pytestmark = pytest.mark.skipif(
    not MONGODB_URI, reason="RETAIL_TEST_MONGODB_URI is not set: no real MongoDB to check against"
)


@pytest.fixture
def mongo_shop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from retail.catalog import load_catalog
    from retail.common.database import database, reset_database
    from retail.common.settings import reset_settings
    from retail.store.indexes import apply_indexes

    assert MONGODB_URI
    name = f"retail_index_use_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("RETAIL_DB_URI", with_database(MONGODB_URI, name))
    reset_settings()
    reset_database()
    db = database()
    apply_indexes(db, json.loads((ROOT / "infra" / "indexes.json").read_text(encoding="utf-8")))
    load_catalog(
        json.loads((ROOT / "infra" / "seed" / "demo.json").read_text(encoding="utf-8")), db
    )
    yield db
    reset_database()
    from pymongo import MongoClient

    with MongoClient(MONGODB_URI) as client:
        client.drop_database(name)


def _recording(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, Any, str]]:
    """Each (collection, filter, sort, caller) the project's code asks of pymongo."""
    from pymongo.collection import Collection

    asked: list[tuple[str, Any, Any, str]] = []
    for method in READS:
        real = getattr(Collection, method)

        def recorded(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            caller = _production_caller()
            if caller and self.name not in SMALL_AND_FIXED:
                where = args[0] if args else kwargs.get("filter", {})
                asked.append((self.name, where, kwargs.get("sort"), caller))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Collection, method, recorded)
    return asked


def _production_caller() -> str | None:
    for frame in inspect.stack()[2:]:
        if frame.filename.startswith(PRODUCTION):
            place = f"{frame.filename} {frame.function}"
            exempt = any(
                frame.filename.startswith(str(ROOT / path)) and name in (None, frame.function)
                for path, name in WHOLE_STORE_READERS
            )
            return None if exempt else place
        if "pymongo" not in frame.filename:
            return None
    return None


def test_every_query_of_a_session_and_the_timers_is_served_by_an_index(mongo_shop, monkeypatch):
    asked = _recording(monkeypatch)
    order = {**sample("order_place"), "idempotency_key": "mongo-index-0001"}
    assert call("consent_accept", {"version": "2026-01", "share_contact": True})["code"] == "OK"
    for name, data in (
        ("user_login", {}),
        ("catalog_browse", {}),
        ("catalog_product", {"product_id": "p-mango"}),
        ("cart_update", {"sku_id": "p-mango-1", "qty": 1}),
        ("cart_list", {}),
        ("order_preview", sample("order_preview")),
        ("order_place", order),
        ("order_list", {}),
    ):
        assert call(name, data)["code"] == "OK", name
    placed = mongo_shop.orders.find_one({"idempotency_key": "mongo-index-0001"})
    assert call("payment_prepay", {"order_id": placed["_id"]})["code"] == "OK"
    assert call("order_cancel", {"order_id": placed["_id"]})["code"] == "OK"
    split = {"sku_id": "p-mango-1", "location": "central", "buckets": 2}
    assert as_operator("stock_split", split)["code"] == "OK"
    for timer in TIMERS:
        answer = handler(timer)(sample(timer), {"time_limit_in_ms": 60_000})
        assert answer["code"] == "OK", (timer, answer)
    monkeypatch.undo()
    scanned = set()
    for collection, where, sort, caller in asked:
        plan = mongo_shop[collection].find(where or {}, sort=sort).explain()
        if scans(plan):
            scanned.add(f"{collection} {where!r} sort={sort!r}: {caller}")
    assert not scanned, "queries no index serves on MongoDB:\n" + "\n".join(sorted(scanned))
