"""The concerns and preferences production's MongoDB client uses, read from the objects the
code gets (no server needed: pymongo builds them without connecting)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import MongoClient

from retail.common.store_guard import guarded
from retail.store import MAJORITY, RELAXED_WRITES, MongoLimits, majority_reads, mongo_options


@pytest.fixture
def production_db() -> Any:
    client: MongoClient[Any] = MongoClient(
        "mongodb://127.0.0.1:1/retail", **mongo_options(MongoLimits())
    )
    yield guarded(client.get_default_database())
    client.close()


def test_reads_go_to_the_primary_and_monitoring_polls():
    options = mongo_options(MongoLimits())
    assert options["readPreference"] == "primary"
    assert options["serverMonitoringMode"] == "poll"  # SCF is not in pymongo's FaaS list


def test_money_and_stock_wait_for_a_majority_and_only_the_named_counters_do_not(production_db):
    for name in ("orders", "stock", "refunds", "coupons", "points_ledger", "statements"):
        assert production_db[name].write_concern.document == {"w": "majority"}, name
        assert getattr(production_db, name).write_concern.document == {"w": "majority"}
    assert sorted(RELAXED_WRITES) == ["events", "metrics", "rate_windows"]
    for name in RELAXED_WRITES:
        assert production_db[name].write_concern.document == {"w": 1}, name
        assert getattr(production_db, name).write_concern.document == {"w": 1}


def test_the_timers_that_act_on_wechat_pay_read_what_a_majority_wrote(production_db):
    assert production_db.orders.read_concern.level is None  # the server's default
    reading = majority_reads(production_db)
    assert reading.orders.read_concern.level == "majority"
    assert reading.refunds.read_concern.level == "majority"
    assert reading.orders.write_concern.document == {"w": "majority"}


def test_get_collection_and_with_options_keep_the_concerns(production_db):
    assert production_db.get_collection("rate_windows").write_concern.document == {"w": 1}
    assert production_db.get_collection("orders").write_concern.document == {"w": "majority"}
    erasing = production_db.events.with_options(write_concern=MAJORITY)  # privacy.rights
    assert erasing.write_concern.document == {"w": "majority"}


def test_a_timeout_answers_unavailable_but_a_bulk_writes_errors_reach_its_caller():
    from pymongo.errors import BulkWriteError, WTimeoutError

    from retail.common.store_guard import _unanswered

    assert _unanswered(WTimeoutError("waiting for replication timed out", 64, {}))
    late_majority = {
        "writeErrors": [{"index": 0, "code": 11000, "errmsg": "E11000 duplicate key"}],
        "writeConcernErrors": [{"code": 64, "errmsg": "waiting for replication timed out"}],
    }
    assert not _unanswered(BulkWriteError(late_majority))  # settlement.claims reads it
