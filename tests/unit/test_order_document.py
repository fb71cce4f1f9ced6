"""The order's declaration (retail.orders.document) against documents: the check the state
machine runs on every order it makes, shown to catch what it is there for."""

from __future__ import annotations

from datetime import datetime, timezone

from ..order_documents import order_problems

NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)
PAID_ORDER = {
    "_id": "O261207000000ABCDEFGHJK",
    "status": "PAID",
    "delivery": "express",
    "lines": [{"sku_id": "s1", "merchant_id": "m1", "qty": 1, "amount": 100, "stock": "SOLD"}],
    "parcels": {
        "m1": {"status": "SHIPPED", "carrier": "SF", "tracking_no": "1", "shipped_at": NOW}
    },
    "parcel_refunds": {"m2": {"status": "REFUNDING", "amount": 50, "restock": True, "at": NOW}},
    "refund_request": {"status": "REQUESTED", "reason": "broken", "at": NOW},
    "timeline": [{"at": NOW, "status": "PAID", "note": None}],
    "pay_deadline": None,
}


def test_an_order_as_the_code_writes_it_matches():
    assert order_problems(PAID_ORDER) == []


def test_a_key_nobody_declared_is_named_at_any_depth():
    order = {
        **PAID_ORDER,
        "bonus": 1,
        "lines": [{**PAID_ORDER["lines"][0], "gift": True}],
        "parcels": {"m1": {**PAID_ORDER["parcels"]["m1"], "driver": "x"}},
    }
    assert sorted(order_problems(order)) == [
        "bonus: not declared",
        "lines.[].gift: not declared",
        "parcels.m1.driver: not declared",
    ]


def test_a_status_outside_its_vocabulary_is_refused():
    order = {
        **PAID_ORDER,
        "status": "SENT",
        "parcel_refunds": {"m2": {**PAID_ORDER["parcel_refunds"]["m2"], "status": "PAID"}},
    }
    found = order_problems(order)
    assert [p.split(":")[0] for p in found] == ["status", "parcel_refunds.m2.status"]
