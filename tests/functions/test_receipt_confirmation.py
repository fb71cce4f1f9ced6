"""Receipt and settlement follow WeChat (issue 29 §2): where WeChat has an order's shipping,
the buyer confirms receipt in WeChat's component, and the back end completes the order only
when get_order says WeChat had it: from order_confirm, the settlement push, or the timer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from retail.adapters.wechat import wechat_api
from retail.common.clock import travel, utcnow
from retail_dev.platform_journal import calls
from retail_dev.wechat_push_sender import PUSHES, sealed_request
from retail_dev.wechat_shipping import confirm_receive

from .harness import (
    as_operator,
    call,
    handler,
    paid_through_wechat_pay,
    push_to_platform_event,
    sample,
)

pytestmark = pytest.mark.usefixtures("fresh_sandbox")
EGGS = [{"sku_id": "p-eggs-1", "qty": 1}]
GET_ORDER = "/wxa/sec/order/get_order"


def shipped(db: Any, key: str) -> dict[str, Any]:
    order = paid_through_wechat_pay(db, key, items=EGGS)
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": f"SF{key[-6:]}"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    stored = db.orders.find_one({"_id": order["order_id"]})
    assert stored["wechat_shipping"]["state"] == "UPLOADED"
    return stored


def status(db: Any, order: dict[str, Any]) -> str:
    return str(db.orders.find_one({"_id": order["_id"]})["status"])


def autoconfirm() -> dict[str, Any]:
    answer = handler("order_autoconfirm")(sample("order_autoconfirm"), {})
    assert answer["code"] == "OK", answer
    data: dict[str, Any] = answer["data"]
    return data


def test_the_buyers_word_alone_does_not_complete_an_order_wechat_holds(seeded):
    order = shipped(seeded, "receipt-0001")
    refused = call("order_confirm", {"order_id": order["_id"]})
    assert refused["code"] == "CONFLICT"
    assert refused["details"] == {
        "reason": "CONFIRM_AT_WECHAT",
        "transaction_id": order["transaction_id"],
    }
    assert status(seeded, order) == "SHIPPED"
    assert calls(GET_ORDER)[-1]["body"] == {"transaction_id": order["transaction_id"]}


def test_confirmed_in_wechats_component_the_settlement_push_completes_it_once(seeded):
    order = shipped(seeded, "receipt-0002")
    assert confirm_receive(order["_id"], send=push_to_platform_event) == [200]
    stored = seeded.orders.find_one({"_id": order["_id"]})
    assert stored["status"] == "COMPLETED"
    assert stored["wechat_receipt"]["received"] and stored["wechat_receipt"]["settled"]
    assert [t["note"] for t in stored["timeline"]][-1] == "receipt confirmed at WeChat"
    again = call("order_confirm", {"order_id": order["_id"]})  # the app, after App.onShow
    assert again["code"] == "OK" and again["data"]["status"] == "COMPLETED"
    seeded[PUSHES].update_many({}, {"$set": {"state": "queued"}})  # WeChat sends it again
    from retail_dev.wechat_push_sender import deliver_pushes

    assert deliver_pushes(push_to_platform_event) == [200]
    timeline = seeded.orders.find_one({"_id": order["_id"]})["timeline"]
    assert [t["status"] for t in timeline].count("COMPLETED") == 1


def test_a_receipt_wechat_has_but_has_not_settled_completes_through_order_confirm(seeded):
    order = shipped(seeded, "receipt-0003")
    confirm_receive(order["_id"], settle=False, send=lambda _q, _b: 500)  # the push is lost
    done = call("order_confirm", {"order_id": order["_id"]})
    assert done["code"] == "OK" and done["data"]["status"] == "COMPLETED"
    receipt = seeded.orders.find_one({"_id": order["_id"]})["wechat_receipt"]
    assert receipt["received"] and not receipt.get("settled")


def test_the_push_at_shipping_records_wechats_estimate_and_completes_nothing(seeded):
    order = shipped(seeded, "receipt-0004")
    event = {
        "Event": "trade_manage_order_settlement",
        "MsgType": "event",
        "transaction_id": order["transaction_id"],
        "merchant_trade_no": order["_id"],
        "estimated_settlement_time": 1893456000,
    }
    assert push_to_platform_event(*sealed_request(event)) == 200
    stored = seeded.orders.find_one({"_id": order["_id"]})
    assert stored["status"] == "SHIPPED" and stored["wechat_receipt"]["state"] == 2
    assert stored["wechat_receipt"]["estimated_settlement_at"].year == 2030


def test_a_push_naming_someone_elses_payment_changes_nothing(seeded):
    order = shipped(seeded, "receipt-0005")
    other = shipped(seeded, "receipt-0006")
    confirm_receive(other["_id"], send=lambda _q, _b: 200)  # WeChat settled the other one
    event = {
        "Event": "trade_manage_order_settlement",
        "transaction_id": other["transaction_id"],
        "merchant_trade_no": order["_id"],  # a mismatched pair
        "settlement_time": 1893456000,
    }
    assert push_to_platform_event(*sealed_request(event)) == 200
    assert status(seeded, order) == "SHIPPED" and status(seeded, other) == "SHIPPED"


def test_when_wechat_cannot_be_asked_nothing_completes_and_the_push_is_sent_again(
    seeded, monkeypatch
):
    order = shipped(seeded, "receipt-0007")
    confirm_receive(order["_id"], send=lambda _q, _b: 0)
    busy = {"errcode": -1, "errmsg": "system error"}
    real = wechat_api().transport.post_json

    def get_order_busy(path: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        return busy if path == GET_ORDER else real(path, params, body)

    monkeypatch.setattr(wechat_api().transport, "post_json", get_order_busy)
    assert call("order_confirm", {"order_id": order["_id"]})["code"] == "UPSTREAM_UNAVAILABLE"
    from retail_dev.wechat_push_sender import deliver_pushes

    assert deliver_pushes(push_to_platform_event) == [502]  # not 200: WeChat sends it again
    assert status(seeded, order) == "SHIPPED"
    monkeypatch.undo()
    assert deliver_pushes(push_to_platform_event) == [200]
    assert status(seeded, order) == "COMPLETED"


def test_the_timer_completes_only_what_wechat_confirmed_and_asks_once_a_day(seeded):
    waiting = shipped(seeded, "receipt-0008")
    confirmed = shipped(seeded, "receipt-0009")
    confirm_receive(confirmed["_id"], send=lambda _q, _b: 0)  # its push never arrives
    long_ago = {"$set": {"shipped_at": utcnow() - timedelta(days=11)}}
    seeded.orders.update_many({"_id": {"$in": [waiting["_id"], confirmed["_id"]]}}, long_ago)
    asked = len(calls(GET_ORDER))
    assert autoconfirm()["processed"] == 1
    assert status(seeded, confirmed) == "COMPLETED" and status(seeded, waiting) == "SHIPPED"
    assert len(calls(GET_ORDER)) == asked + 2
    assert autoconfirm()["processed"] == 0
    assert len(calls(GET_ORDER)) == asked + 2  # WeChat was asked today
    confirm_receive(waiting["_id"], send=lambda _q, _b: 0)
    travel(timedelta(days=1, minutes=1))
    try:
        assert autoconfirm()["processed"] == 1
    finally:
        travel(timedelta(0))
    assert status(seeded, waiting) == "COMPLETED"
