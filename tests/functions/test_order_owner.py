"""Who writes orders, as it happens: every write to the `orders` collection made while an
order lives its life through the functions (placed, paid, shipped, confirmed, refunded by
request and review, cancelled, expired, repaired, reconciled, settled, anonymised) comes
from the orders package. A store wrapper records the module of each write's caller."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta

import pytest

from retail.common.clock import travel, utcnow
from retail_dev.embedded import WRITES
from retail_dev.embedded.collection import EmbeddedCollection

from .harness import (
    as_operator,
    call,
    completed_order,
    finish_erasures,
    handler,
    paid_order,
    sample,
)


@pytest.fixture
def writers(monkeypatch) -> set[str]:
    """The modules (outside the store) whose code wrote an order document."""
    seen: set[str] = set()
    for name in WRITES:
        real = getattr(EmbeddedCollection, name)

        def recording(self, *args, _real=real, **kwargs):
            if self.name == "orders":
                seen.add(_writer())
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(EmbeddedCollection, name, recording)
    return seen


def _writer() -> str:
    """The first caller in the `retail` package above the store itself."""
    for frame in inspect.stack()[2:]:
        module = frame.frame.f_globals.get("__name__", "")
        if module.startswith("retail.") and not module.startswith("retail.store"):
            return module
    return "outside retail"


def _timer(name, message=None):
    answer = handler(name)({**sample(name), "Message": message or ""}, {})
    assert answer["code"] == "OK", answer
    return answer


def test_every_write_of_an_order_comes_from_the_orders_package(seeded, writers):
    call("user_login", {})
    call("user_login", {}, "o-erased")
    completed_order("owner-complete")
    erased = completed_order("owner-erase", "o-erased")
    paid = paid_order("owner-refund-1")
    refund = {"order_id": paid["order_id"], "reason": "changed mind"}
    assert call("refund_request", refund)["code"] == "OK"
    shipped = paid_order("owner-refund-2")
    ship = {"order_id": shipped["order_id"], "carrier": "SF", "tracking_no": "SF0000000002"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    call("refund_request", {"order_id": shipped["order_id"], "reason": "broken on arrival"})
    as_operator("refund_review", {"order_id": shipped["order_id"], "approve": True})
    placed = call("order_place", {**sample("order_place"), "idempotency_key": "owner-cancel"})
    assert call("order_cancel", {"order_id": placed["data"]["order_id"]})["code"] == "OK"
    call("order_place", {**sample("order_place"), "idempotency_key": "owner-expire"})
    travel(timedelta(days=2))
    try:
        for timer in ("order_expire", "order_repair", "payment_reconcile", "order_autoconfirm"):
            _timer(timer)
        sold = (utcnow() + timedelta(hours=8) - timedelta(days=2)).date()  # ended a day ago
        _timer("settlement_run", json.dumps({"day": sold.isoformat()}))
    finally:
        travel(timedelta(0))
    assert call("user_delete", {"confirm": True}, "o-erased")["code"] == "OK"
    finish_erasures()
    assert seeded.orders.find_one({"_id": erased["order_id"]})["openid"] != "o-erased"
    assert writers, "the life above wrote orders"
    assert {w for w in writers if not w.startswith("retail.orders.")} == set()
