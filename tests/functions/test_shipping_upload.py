"""WeChat's shipping information (小程序发货信息管理服务): every paid order's goods leaving is
uploaded with WeChat's courier code, once as WeChat counts it, and retried by shipping_sync
until WeChat has it. What WeChat received is read from the dev platform journal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from retail.adapters.wechat import WeChatApi, wechat_api
from retail.common.clock import travel, utcnow
from retail.orders import mark_paid
from retail.orders.shipping_upload import MOST_ATTEMPTS, upload_shipping
from retail_dev.platform_journal import calls

from .harness import as_operator, call, finish_erasures, handler, paid_through_wechat_pay

pytestmark = pytest.mark.usefixtures("fresh_sandbox")
UPLOAD = "/wxa/sec/order/upload_shipping_info"
MANAGED = "/wxa/sec/order/is_trade_managed"
EGGS = [{"sku_id": "p-eggs-1", "qty": 1}]
CST = timezone(timedelta(hours=8))


def uploads() -> list[dict[str, Any]]:
    return [c["body"] for c in calls(UPLOAD)]


def sync() -> dict[str, Any]:
    event = {"Type": "Timer", "TriggerName": "shipping_sync", "Time": "2026-01-01T00:00:00Z"}
    answer = handler("shipping_sync")(event, {})
    assert answer["code"] == "OK", answer
    return answer["data"]


def ship(order_id: str, carrier: str, tracking_no: str, role: str = "admin") -> dict[str, Any]:
    data = {"order_id": order_id, "carrier": carrier, "tracking_no": tracking_no}
    return as_operator("order_ship", data, role)


def test_an_express_order_shipped_from_the_console_is_uploaded_with_wechats_courier(seeded):
    order = paid_through_wechat_pay(seeded, "ship-up-0001", items=EGGS)
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert ship(order["order_id"], "SF", "SF1234567890")["code"] == "OK"
    [body] = uploads()
    assert body["order_key"] == {"order_number_type": 2, "transaction_id": stored["transaction_id"]}
    assert (body["logistics_type"], body["delivery_mode"]) == (1, 1)
    assert body["shipping_list"] == [
        {
            "tracking_no": "SF1234567890",
            "express_company": "SF",
            "item_desc": "土鸡蛋*1",
            "contact": {"receiver_contact": "138****1111"},
        }
    ]
    assert body["payer"] == {"openid": "o-test-user"}
    assert body["upload_time"].endswith("+08:00")
    after = seeded.orders.find_one({"_id": order["order_id"]})
    assert after["wechat_shipping"]["state"] == "UPLOADED"
    assert "shipping_due" not in after
    # The same shipment asked again (a retried click) tells WeChat nothing twice.
    assert ship(order["order_id"], "SF", "SF1234567890")["code"] == "OK"
    assert sync()["processed"] == 0
    assert len(uploads()) == 1


def test_a_courier_outside_wechats_list_is_refused_and_writes_nothing(seeded):
    order = paid_through_wechat_pay(seeded, "ship-up-0002", items=EGGS)
    refused = ship(order["order_id"], "Shunfeng", "SF1234567890")
    assert refused["code"] == "INVALID_ARGUMENT"
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert stored["status"] == "PAID" and not stored.get("parcels")
    assert uploads() == []


def test_operators_choose_the_courier_from_wechats_list(seeded):
    listed = as_operator("courier_list", {}, "merchant:m-self")
    assert listed["code"] == "OK"
    codes = {c["code"]: c["name"] for c in listed["data"]["couriers"]}
    assert {"SF", "ZTO", "YTO", "YD", "STO"} <= set(codes) and codes["YD"] == "韵达速递"
    assert call("courier_list", {})["code"] == "UNAUTHENTICATED"
    as_operator("courier_list", {}, "admin")  # the list is kept a day: WeChat asked once
    assert len(calls("/cgi-bin/express/delivery/open_msg/get_delivery_list")) == 1


def test_two_merchants_parcels_are_a_split_delivery_the_last_one_finishes(seeded):
    order = paid_through_wechat_pay(seeded, "ship-up-0003")  # mango (m-huaxia), eggs (m-self)
    assert ship(order["order_id"], "ZTO", "ZT0001", "merchant:m-huaxia")["code"] == "OK"
    assert ship(order["order_id"], "YD", "YD0002", "merchant:m-self")["code"] == "OK"
    first, last = uploads()
    assert (first["delivery_mode"], first["is_all_delivered"]) == (2, False)
    assert [p["tracking_no"] for p in first["shipping_list"]] == ["ZT0001"]
    assert (last["delivery_mode"], last["is_all_delivered"]) == (2, True)
    assert [p["tracking_no"] for p in last["shipping_list"]] == ["ZT0001", "YD0002"]
    wechat = seeded.sandbox_wechat_orders.find_one({"out_trade_no": order["out_trade_no"]})
    assert wechat["finish_shipping_count"] == 1  # finished once, its re-shipping unspent


def test_a_pickup_is_uploaded_when_staff_hand_it_over(seeded):
    data = {"items": EGGS, "delivery": "pickup", "store_id": "s-nanping"}
    order = paid_through_wechat_pay(seeded, "ship-up-0004", **data)
    check = {"store_id": "s-nanping", "pickup_code": order["pickup_code"]}
    assert as_operator("order_pickup_verify", check, "service")["code"] == "OK"
    [body] = uploads()
    assert (body["logistics_type"], body["shipping_list"]) == (4, [{"item_desc": "土鸡蛋*1"}])


def test_a_membership_is_uploaded_as_virtual_goods_by_the_timer(seeded):
    data = {"items": [{"sku_id": "p-vip-month-1", "qty": 1}], "delivery": "virtual"}
    order = paid_through_wechat_pay(seeded, "ship-up-0005", **data)
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "COMPLETED"
    assert uploads() == []  # WeChat indexes a payment about a minute after it: the timer's
    assert sync()["processed"] == 1
    [body] = uploads()
    assert body["logistics_type"] == 3
    assert sync()["processed"] == 0


def test_a_payment_wechat_does_not_know_yet_is_retried_after_a_pause(seeded):
    placed = call(
        "order_place",
        {
            "items": EGGS,
            "delivery": "pickup",
            "store_id": "s-nanping",
            "idempotency_key": "ship-up-0006",
        },
    )["data"]
    assert mark_paid(seeded, placed["order_id"], "42-not-yet-indexed", placed["total"])
    check = {"store_id": "s-nanping", "pickup_code": placed["pickup_code"]}
    assert as_operator("order_pickup_verify", check, "service")["code"] == "OK"
    stored = seeded.orders.find_one({"_id": placed["order_id"]})
    assert stored["wechat_shipping"]["state"] == "RETRYING"
    assert stored["wechat_shipping"]["error"]["errcode"] == 10060001
    assert sync()["failed"] == 0 and len(uploads()) == 1  # pausing a minute
    travel(timedelta(minutes=1, seconds=1))
    try:
        assert sync()["failed"] == 1  # still unknown: the pause doubles
        again = seeded.orders.find_one({"_id": placed["order_id"]})["wechat_shipping"]
        assert again["attempts"] == 2 and len(uploads()) == 2
    finally:
        travel(timedelta(0))


def test_an_upload_whose_answer_was_lost_is_checked_with_wechat_not_sent_again(seeded):
    order = paid_through_wechat_pay(seeded, "ship-up-0007", items=EGGS)
    assert ship(order["order_id"], "STO", "ST0001")["code"] == "OK"
    done = seeded.orders.find_one({"_id": order["order_id"]})
    # As if the process died between WeChat's acceptance and its record.
    seeded.orders.update_one(
        {"_id": order["order_id"]},
        {
            "$set": {
                "shipping_due": done["updated_at"],
                "wechat_shipping": {"sending": done["wechat_shipping"]["fingerprint"]},
            }
        },
    )
    assert sync()["processed"] == 1
    assert len(uploads()) == 1 and len(calls("/wxa/sec/order/get_order")) == 1
    after = seeded.orders.find_one({"_id": order["order_id"]})
    assert after["wechat_shipping"]["state"] == "UPLOADED" and "shipping_due" not in after


class Answering:
    """WeChat answering the order-shipping APIs as told: `answers` by path, `otherwise` for
    any other call (a proxy, a new API version, a refusal); the app is trade-managed unless
    an answer says otherwise."""

    def __init__(self, answers: dict[str, Any], otherwise: dict[str, Any] | None = None) -> None:
        self.answers = answers
        self.otherwise = otherwise or {"errcode": 0, "errmsg": "ok"}
        self.paths: list[str] = []

    def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        raise AssertionError(path)

    def post_json(self, path: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        self.paths.append(path)
        if path == "/cgi-bin/stable_token":
            return {"access_token": "t", "expires_in": 7200}
        if path in self.answers:
            return self.answers[path]
        if path == MANAGED:
            return {"errcode": 0, "is_trade_managed": True}
        return self.otherwise


def shipped_order(seeded: Any, key: str) -> str:
    order = paid_through_wechat_pay(seeded, key, items=EGGS)
    seeded.orders.update_one(
        {"_id": order["order_id"]},
        {
            "$set": {
                "parcels": {"m-self": {"carrier": "SF", "tracking_no": "SF9"}},
                "shipping_due": seeded.orders.find_one({"_id": order["order_id"]})["paid_at"],
            }
        },
    )
    return str(order["order_id"])


def test_a_mini_program_outside_trade_management_uploads_nothing(seeded):
    order_id = shipped_order(seeded, "ship-up-0008")
    wechat = Answering({MANAGED: {"errcode": 0, "is_trade_managed": False}})
    assert upload_shipping(seeded, order_id, api=WeChatApi(wechat, "wx1", "s")) == "skipped"
    assert UPLOAD not in wechat.paths
    after = seeded.orders.find_one({"_id": order_id})
    assert after["wechat_shipping"]["state"] == "NOT_MANAGED" and "shipping_due" not in after


def test_a_refusal_is_recorded_for_operators_and_a_closed_payment_is_not_retried(seeded):
    order_id = shipped_order(seeded, "ship-up-0009")
    refused = Answering({}, {"errcode": 10060014, "errmsg": "参数错误"})
    assert upload_shipping(seeded, order_id, api=WeChatApi(refused, "wx1", "s")) == "failed"
    after = seeded.orders.find_one({"_id": order_id})
    assert after["wechat_shipping"]["state"] == "FAILED" and "shipping_due" not in after
    assert after["wechat_shipping"]["error"]["errcode"] == 10060014
    inspected = as_operator("order_inspect", {"order_id": order_id}, "service")
    assert inspected["data"]["order"]["wechat_shipping"]["state"] == "FAILED"
    closed_id = shipped_order(seeded, "ship-up-0010")
    closed = Answering({}, {"errcode": 10060004, "errmsg": "支付单处于不可发货的状态"})
    assert upload_shipping(seeded, closed_id, api=WeChatApi(closed, "wx1", "s")) == "failed"
    assert seeded.orders.find_one({"_id": closed_id})["wechat_shipping"]["state"] == "NOT_SHIPPABLE"


def test_an_expired_access_token_is_refreshed_once_and_the_call_made_again(seeded):
    order_id = shipped_order(seeded, "ship-up-0011")

    class Expiring(Answering):
        def post_json(
            self, path: str, params: dict[str, str], body: dict[str, Any]
        ) -> dict[str, Any]:
            if path == UPLOAD and params["access_token"] == "t":
                self.paths.append(path)
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if path == "/cgi-bin/stable_token" and body["force_refresh"]:
                return {"access_token": "fresh", "expires_in": 7200}
            return super().post_json(path, params, body)

    wechat = Expiring({})
    assert upload_shipping(seeded, order_id, api=WeChatApi(wechat, "wx1", "s")) == "processed"
    assert wechat.paths.count(UPLOAD) == 2


def test_a_presale_order_shipping_months_after_payment_is_reported_to_wechat_once(seeded):
    mooncakes = {"items": [{"sku_id": "p-mooncake-1", "qty": 1}]}
    order = paid_through_wechat_pay(seeded, "ship-up-0012", **mooncakes)  # ships 2027-09-01
    assert sync()["processed"] == 1
    [report] = [c["body"] for c in calls("/wxa/sec/order/opspecialorder")]
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert report["order_id"] == stored["transaction_id"] and report["type"] == 1
    assert datetime.fromtimestamp(report["delay_to"], CST).date().isoformat() == "2027-09-01"
    assert "presale_reported_at" in stored["wechat_shipping"] and "shipping_due" not in stored
    sync()
    assert len(calls("/wxa/sec/order/opspecialorder")) == 1
    # An ordinary order is never reported.
    paid_through_wechat_pay(seeded, "ship-up-0013", items=EGGS)
    sync()
    assert len(calls("/wxa/sec/order/opspecialorder")) == 1


def test_wechats_order_notices_open_the_order_page_set_once(seeded):
    sync()
    sync()
    [jump] = calls("/wxa/sec/order/set_msg_jump_path")
    assert jump["body"] == {"path": "pages/orders/detail"}


def test_orders_near_wechats_48_hour_shipping_rule_are_found_oldest_first(seeded):
    late = paid_through_wechat_pay(seeded, "ship-up-0014", items=EGGS)
    paid_at = seeded.orders.find_one({"_id": late["order_id"]})["paid_at"] - timedelta(hours=40)
    seeded.orders.update_one({"_id": late["order_id"]}, {"$set": {"paid_at": paid_at}})
    paid_through_wechat_pay(seeded, "ship-up-0015", items=EGGS)  # paid just now
    mooncakes = [{"sku_id": "p-mooncake-1", "qty": 1}]
    presale = paid_through_wechat_pay(seeded, "ship-up-0016", items=mooncakes)
    seeded.orders.update_one({"_id": presale["order_id"]}, {"$set": {"paid_at": paid_at}})
    found = as_operator("order_search", {"ship_within_hours": 12}, "merchant:m-self")
    [row] = found["data"]["orders"]
    assert row["order_id"] == late["order_id"]
    assert datetime.fromisoformat(row["ship_by"]) == paid_at + timedelta(hours=48)
    everyone = as_operator("order_search", {"status": "PAID"})["data"]["orders"]
    by_id = {o["order_id"]: o["ship_by"] for o in everyone}
    assert by_id[presale["order_id"]].startswith("2027-09-01T23:59:59")
    assert as_operator("order_search", {"ship_within_hours": 49})["code"] == "INVALID_ARGUMENT"


def test_operators_list_the_orders_whose_upload_wechat_refused(seeded):
    order_id = shipped_order(seeded, "ship-up-0017")
    refused = Answering({}, {"errcode": 10060014, "errmsg": "参数错误"})
    upload_shipping(seeded, order_id, api=WeChatApi(refused, "wx1", "s"))
    shipped_order(seeded, "ship-up-0018")  # due, not tried yet
    found = as_operator("order_search", {"shipping_upload": "FAILED"}, "service")["data"]
    [row] = found["orders"]
    assert row["order_id"] == order_id
    assert row["wechat_shipping"]["error"]["errcode"] == 10060014
    assert "fingerprint" not in row["wechat_shipping"]


def test_a_payment_wechat_never_knows_is_left_to_an_operator_after_a_day_of_tries(seeded):
    order_id = shipped_order(seeded, "ship-up-0019")
    unknown = Answering({}, {"errcode": 10060001, "errmsg": "支付单不存在"})
    api = WeChatApi(unknown, "wx1", "s")
    moved = timedelta(0)
    try:
        for _ in range(40):
            due = seeded.orders.find_one({"_id": order_id}).get("shipping_due")
            if due is None:
                break
            moved += due - utcnow() + timedelta(seconds=1)
            travel(max(moved, timedelta(0)))
            upload_shipping(seeded, order_id, api=api)
    finally:
        travel(timedelta(0))
    after = seeded.orders.find_one({"_id": order_id})
    assert after["wechat_shipping"]["state"] == "FAILED" and "shipping_due" not in after
    assert after["wechat_shipping"]["attempts"] == MOST_ATTEMPTS
    assert timedelta(hours=20) < moved < timedelta(hours=30)


# The hostile review's findings (each failed before its fix).


def test_split_delivery_whose_last_waiting_parcel_is_refunded_is_finished_at_wechat(seeded):
    """Mango ships (split, not all delivered); the eggs, still waiting, are refunded: no
    parcel waits any more, so WeChat must hear is_all_delivered=true at some point."""
    order = paid_through_wechat_pay(seeded, "zz-review-0001")
    assert ship(order["order_id"], "ZTO", "ZT0001", "merchant:m-huaxia")["code"] == "OK"
    [first] = uploads()
    assert first["is_all_delivered"] is False
    refund = {"order_id": order["order_id"], "reason": "not wanted", "merchant_id": "m-self"}
    answer = call("refund_request", refund)
    assert answer["code"] == "OK", answer
    travel(timedelta(hours=2))
    try:
        for _ in range(3):
            sync()
    finally:
        travel(timedelta(0))
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert stored["status"] == "SHIPPED"  # every parcel is out or refunded
    last = uploads()[-1]
    assert last.get("is_all_delivered") is True, (uploads(), stored.get("wechat_shipping"))
    wechat = seeded.sandbox_wechat_orders.find_one({"out_trade_no": order["out_trade_no"]})
    assert wechat["finish_shipping_count"] == 1


def _use(monkeypatch: Any, transport: Answering, couriers: bool = False) -> None:
    import retail.orders.couriers as couriers_module
    import retail.orders.shipping_upload as upload_module

    api = WeChatApi(transport, "wx1", "s")
    monkeypatch.setattr(upload_module, "wechat_api", lambda: api)
    if couriers:
        monkeypatch.setattr(couriers_module, "wechat_api", lambda: api)


@pytest.mark.parametrize(
    "answer",
    [
        {"errcode": "system error", "errmsg": "?"},  # an odd errcode
        {"errcode": None, "errmsg": "system error"},  # errcode null
    ],
)
def test_odd_upload_answers_do_not_answer_internal_to_the_operator(seeded, monkeypatch, answer):
    order = paid_through_wechat_pay(seeded, "zz-review-0002", items=EGGS)
    _use(monkeypatch, Answering({UPLOAD: answer}))
    shipped = ship(order["order_id"], "ZTO", "ZT0002")
    assert shipped["code"] == "OK", shipped
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    # WeChat did not say it accepted: the order is not recorded UPLOADED and leaves no to-do.
    assert stored["wechat_shipping"]["state"] != "UPLOADED", stored["wechat_shipping"]


def test_an_odd_get_order_answer_does_not_break_the_timer(seeded, monkeypatch):
    order = paid_through_wechat_pay(seeded, "zz-review-0003", items=EGGS)
    assert ship(order["order_id"], "ZTO", "ZT0003")["code"] == "OK"
    done = seeded.orders.find_one({"_id": order["order_id"]})
    seeded.orders.update_one(  # the process died between send and record
        {"_id": order["order_id"]},
        {
            "$set": {
                "shipping_due": done["updated_at"],
                "wechat_shipping": {"sending": done["wechat_shipping"]["fingerprint"]},
            }
        },
    )
    _use(monkeypatch, Answering({"/wxa/sec/order/get_order": {"errcode": 0, "order": "gone"}}))
    sync()  # the timer's answer is OK (sync asserts it)


def test_a_delivery_list_entry_without_a_name_does_not_answer_internal(seeded, monkeypatch):
    listing = {
        "errcode": 0,
        "delivery_list": [{"delivery_id": "SF"}, {"delivery_id": "ZTO", "delivery_name": "中通"}],
    }
    _use(
        monkeypatch,
        Answering({"/cgi-bin/express/delivery/open_msg/get_delivery_list": listing}),
        True,
    )
    order = paid_through_wechat_pay(seeded, "zz-review-0004", items=EGGS)
    shipped = ship(order["order_id"], "ZTO", "ZT0004")
    assert shipped["code"] != "INTERNAL", shipped


def test_an_is_trade_managed_answer_without_its_field_does_not_drop_the_upload(seeded, monkeypatch):
    """errcode 0 but no `is_trade_managed` field (a missing field): nothing says the app is
    outside trade management, yet the order is recorded NOT_MANAGED and never uploaded."""
    order = paid_through_wechat_pay(seeded, "zz-review-0006", items=EGGS)
    odd = Answering({MANAGED: {"errcode": 0, "errmsg": "ok"}})
    _use(monkeypatch, odd)
    assert ship(order["order_id"], "ZTO", "ZT0006")["code"] == "OK"
    monkeypatch.undo()
    wechat_api.cache_clear()
    travel(timedelta(hours=2))
    try:
        sync()
    finally:
        travel(timedelta(0))
    assert len(uploads()) == 1, seeded.orders.find_one({"_id": order["order_id"]})[
        "wechat_shipping"
    ]


def test_operators_can_list_the_orders_recorded_not_managed(seeded, monkeypatch):
    order = paid_through_wechat_pay(seeded, "zz-review-0007", items=EGGS)
    _use(
        monkeypatch,
        Answering({MANAGED: {"errcode": 0, "is_trade_managed": False}}),
    )
    assert ship(order["order_id"], "ZTO", "ZT0007")["code"] == "OK"
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert stored["wechat_shipping"]["state"] == "NOT_MANAGED"
    found = as_operator("order_search", {"shipping_upload": "NOT_MANAGED"}, "admin")
    assert found["code"] == "OK", found


def test_a_buyer_erased_before_the_timer_uploads_their_membership_is_still_uploaded(seeded):
    """A membership is left to the timer (WeChat indexes the payment after a minute); a buyer
    who erases their account in that minute must not make the upload go to a pseudonym: the
    erasure uploads what WeChat is owed before it anonymises the order."""
    data = {"items": [{"sku_id": "p-vip-month-1", "qty": 1}], "delivery": "virtual"}
    order = paid_through_wechat_pay(seeded, "zz-review-0005", **data)
    assert seeded.orders.find_one({"_id": order["order_id"]})["status"] == "COMPLETED"
    erased = call("user_delete", {"confirm": True})
    assert erased["code"] == "OK" and erased["data"]["erased"] is True, erased
    finish_erasures()
    sync()
    [body] = uploads()
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert body["payer"]["openid"] == "o-test-user", body["payer"]
    assert stored["wechat_shipping"]["state"] == "UPLOADED", stored["wechat_shipping"]


def test_the_local_wechat_refuses_an_out_trade_no_given_as_a_transaction_id(seeded):
    """As WeChat does (10060001): the number type 2 names is WeChat Pay's transaction_id."""
    order = paid_through_wechat_pay(seeded, "ship-up-tid-01", items=EGGS)
    api = wechat_api()
    answer = api.call("/wxa/sec/order/get_order", {"transaction_id": order["out_trade_no"]})
    assert answer["errcode"] == 10060001
    body = {
        "order_key": {"order_number_type": 2, "transaction_id": order["out_trade_no"]},
        "logistics_type": 4,
        "delivery_mode": 1,
        "shipping_list": [{"item_desc": "土鸡蛋*1"}],
        "upload_time": "2026-12-08T10:00:00.000+08:00",
        "payer": {"openid": "o-test-user"},
    }
    assert api.call(UPLOAD, body)["errcode"] == 10060001
