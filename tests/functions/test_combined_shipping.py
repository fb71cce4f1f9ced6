"""A marketplace order at WeChat's trade management (docs/decisions/0025, "The shipping of a
combined payment"): each sub-order of its combined payment is a payment of its own, told of
its merchant's goods alone, confirmed by the buyer and settled by WeChat on its own; the
order completes once the buyer's receipt is behind every one, and profit sharing waits until
WeChat has settled every one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from retail.adapters.wechat import wechat_api
from retail.common.clock import day_of, travel
from retail.orders import apply_settlement_event, wechat_released
from retail_dev import wechatpay_sandbox as sandbox
from retail_dev.platform_journal import calls
from retail_dev.wechat_shipping import confirm_receive

from .harness import as_operator, call, handler, push_to_platform_event, receive, sample
from .test_marketplace_payments import EGGS, MANGO, deliver_to, paid, sent
from .test_marketplace_payments import shop as shop  # the marketplace fixture

UPLOAD = "/wxa/sec/order/upload_shipping_info"
GET_ORDER = "/wxa/sec/order/get_order"
SHIP_AS = {MANGO: ("YTO", "YT1000000001"), EGGS: ("SF", "SF2000000002")}


@pytest.fixture(autouse=True)
def back_to_now():
    yield
    travel(timedelta(0))


def uploads() -> list[dict[str, Any]]:
    return [c["body"] for c in calls(UPLOAD)]


def ship(order: dict[str, Any], merchant_id: str) -> None:
    carrier, tracking_no = SHIP_AS[merchant_id]
    data = {"order_id": order["_id"], "carrier": carrier, "tracking_no": tracking_no}
    assert as_operator("order_ship", data, f"merchant:{merchant_id}")["code"] == "OK"


def payment_of(order: dict[str, Any], merchant_id: str) -> tuple[str, str]:
    """The sub-order's out_trade_no and transaction_id."""
    (sub,) = [s for s in order["sub_orders"] if s["merchant_id"] == merchant_id]
    return sub["out_trade_no"], order["sub_transactions"][sub["out_trade_no"]]


def state_at_wechat(transaction_id: str) -> int:
    answer = wechat_api().call(GET_ORDER, {"transaction_id": transaction_id})
    state: int = answer["order"]["order_state"]
    return state


def stored(db: Any, order: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = db.orders.find_one({"_id": order["_id"]})
    return found


def test_each_sub_order_is_told_of_its_own_merchants_parcel_once(shop):
    order = paid(shop, "cship-0001")
    mango_no, mango_paid = payment_of(order, MANGO)
    eggs_no, eggs_paid = payment_of(order, EGGS)
    ship(order, MANGO)
    [first] = uploads()
    assert first["order_key"] == {"order_number_type": 2, "transaction_id": mango_paid}
    assert (first["logistics_type"], first["delivery_mode"]) == (1, 1)
    mango_lines = [ln for ln in order["lines"] if ln["merchant_id"] == MANGO]
    assert first["shipping_list"] == [
        {
            "tracking_no": "YT1000000001",
            "express_company": "YTO",
            "item_desc": ";".join(f"{ln['title']}*{ln['qty']}" for ln in mango_lines),
        }
    ]
    shipping = stored(shop, order)["wechat_shipping"]
    assert shipping["state"] == "UPLOADED" and set(shipping["parts"]) == {mango_no}
    assert shipping["parts"][mango_no]["state"] == "UPLOADED"
    assert (state_at_wechat(mango_paid), state_at_wechat(eggs_paid)) == (2, 1)

    ship(order, EGGS)
    assert len(uploads()) == 2  # mango's is not told again
    second = uploads()[1]
    assert second["order_key"]["transaction_id"] == eggs_paid
    assert [p["tracking_no"] for p in second["shipping_list"]] == ["SF2000000002"]
    assert second["shipping_list"][0]["contact"]["receiver_contact"].startswith("138****")
    parts = stored(shop, order)["wechat_shipping"]["parts"]
    assert {n: p["state"] for n, p in parts.items()} == {mango_no: "UPLOADED", eggs_no: "UPLOADED"}
    assert state_at_wechat(eggs_paid) == 2
    shown = as_operator("order_inspect", {"order_id": order["_id"]})["data"]["order"]
    assert shown["wechat_shipping"]["parts"] == {
        mango_no: {"state": "UPLOADED", "transaction_id": mango_paid},
        eggs_no: {"state": "UPLOADED", "transaction_id": eggs_paid},
    }
    timer = handler("shipping_sync")(sample("shipping_sync"), {})
    assert timer["code"] == "OK" and len(uploads()) == 2


def test_the_order_completes_once_the_buyer_confirmed_every_payment_at_wechat(shop):
    order = paid(shop, "cship-0002")
    ship(order, MANGO)
    ship(order, EGGS)
    first = call("order_confirm", {"order_id": order["_id"]})
    assert first["details"]["reason"] == "CONFIRM_AT_WECHAT"
    named = first["details"]["transaction_id"]
    assert named == order["sub_transactions"][order["sub_orders"][0]["out_trade_no"]]
    assert confirm_receive(named, send=push_to_platform_event) == [200]
    half = stored(shop, order)
    assert half["status"] == "SHIPPED" and not wechat_released(half)
    second = call("order_confirm", {"order_id": order["_id"]})
    assert second["details"]["reason"] == "CONFIRM_AT_WECHAT"
    assert second["details"]["transaction_id"] not in (named, None)
    assert receive(order["_id"])["data"]["status"] == "COMPLETED"
    done = stored(shop, order)
    assert done["wechat_receipt"]["settled"] and wechat_released(done)


def test_profit_sharing_waits_until_wechat_settled_every_sub_order(shop):
    order = paid(shop, "cship-0003")
    ship(order, MANGO)
    ship(order, EGGS)
    for merchant_id in (MANGO, EGGS):  # received, not yet settled by WeChat
        payment = payment_of(order, merchant_id)[1]
        assert confirm_receive(payment, settle=False, send=push_to_platform_event) == [200]
    received = stored(shop, order)
    assert received["status"] == "COMPLETED" and not wechat_released(received)
    travel(timedelta(days=8))
    settle = {
        **sample("settlement_run"),
        "Message": json.dumps({"day": day_of(received["completed_at"]).isoformat()}),
    }
    assert handler("settlement_run")(settle, {})["code"] == "OK"
    sharing = handler("profit_sharing_run")
    assert sharing(sample("profit_sharing_run"), {})["data"]["finished"] == 0
    assert shop.profit_shares.count_documents({}) == 0
    confirm_receive(payment_of(order, MANGO)[1], send=push_to_platform_event)  # settles one
    assert not stored(shop, order)["wechat_receipt"].get("settled")
    travel(timedelta(days=8, hours=1))
    assert sharing(sample("profit_sharing_run"), {})["data"]["finished"] == 0
    confirm_receive(payment_of(order, EGGS)[1], send=push_to_platform_event)  # and the other
    assert wechat_released(stored(shop, order))
    travel(timedelta(days=8, hours=2))
    assert sharing(sample("profit_sharing_run"), {})["data"]["finished"] == 2
    assert [s["state"] for s in shop.profit_shares.find({})] == ["FINISHED", "FINISHED"]


def test_a_settlement_push_is_believed_only_for_its_own_sub_order_and_payment(shop):
    order, other = paid(shop, "cship-0004"), paid(shop, "cship-0005")
    mango_no, mango_paid = payment_of(order, MANGO)
    eggs_paid = payment_of(order, EGGS)[1]
    others_paid = payment_of(other, MANGO)[1]
    for trade_no, paid_by in (
        (mango_no, eggs_paid),  # another sub-order's payment
        (mango_no, others_paid),  # another order's
        (f"{order['_id']}S9", mango_paid),  # no such sub-order
        (f"{order['_id']}S1.x", mango_paid),  # not a sub-order's number
        ("O000000000000AAAAAAAAAAS1", mango_paid),
    ):
        event = {"merchant_trade_no": trade_no, "transaction_id": paid_by}
        assert apply_settlement_event(shop, event) == "ignored: not one of our orders"
    event = {"merchant_trade_no": mango_no, "transaction_id": mango_paid}
    assert apply_settlement_event(shop, event) == "order_state 1"  # held, nothing shipped
    assert stored(shop, order)["status"] == "PAID"


def test_a_merchant_refunded_before_shipping_leaves_only_the_others_to_confirm(shop):
    order = paid(shop, "cship-0006")
    eggs_no, eggs_paid = payment_of(order, EGGS)
    mango_paid = payment_of(order, MANGO)[1]
    answer = call("refund_request", {"order_id": order["_id"], "reason": "no", "merchant_id": EGGS})
    assert answer["code"] == "OK"
    (asked,) = sent(shop, "/v3/ecommerce/refunds/apply")
    assert sandbox.complete_refund(asked["out_refund_no"], send=deliver_to("refund_notify")) == [
        200
    ]
    ship(order, MANGO)
    assert [u["order_key"]["transaction_id"] for u in uploads()] == [mango_paid]
    parts = stored(shop, order)["wechat_shipping"]["parts"]
    assert parts[eggs_no]["state"] == "NOT_SHIPPABLE"
    answer = call("order_confirm", {"order_id": order["_id"]})
    assert answer["details"]["transaction_id"] == mango_paid
    # the eggs' part of the freight went back with them: WeChat holds nothing of theirs
    assert order["freight"] > 0 and asked["amount"]["refund"] == asked["amount"]["total"]
    assert state_at_wechat(eggs_paid) == 5  # 已退款
    assert receive(order["_id"])["data"]["status"] == "COMPLETED"
    assert wechat_released(stored(shop, order))


def test_order_confirm_names_a_payment_the_buyer_can_confirm_first(shop, monkeypatch):
    """While WeChat is busy with mango's upload (retried by shipping_sync), WeChat has only
    the eggs shipped: the buyer is sent to confirm the eggs, not a payment WeChat would
    refuse to confirm (hostile review of f7baf20)."""
    from retail_dev import wechat_sandbox

    order = paid(shop, "cship-0007")
    mango_paid, eggs_paid = payment_of(order, MANGO)[1], payment_of(order, EGGS)[1]
    real = wechat_sandbox._ROUTES[UPLOAD]

    def busy_for_mango(body: dict[str, Any]) -> dict[str, Any]:
        if body["order_key"]["transaction_id"] == mango_paid:
            return {"errcode": -1, "errmsg": "system busy"}
        answer: dict[str, Any] = real(body)
        return answer

    monkeypatch.setitem(wechat_sandbox._ROUTES, UPLOAD, busy_for_mango)
    ship(order, MANGO)
    ship(order, EGGS)
    assert stored(shop, order)["status"] == "SHIPPED"
    assert (state_at_wechat(mango_paid), state_at_wechat(eggs_paid)) == (1, 2)
    answer = call("order_confirm", {"order_id": order["_id"]})
    assert answer["details"]["transaction_id"] == eggs_paid


def test_a_merchant_sees_only_its_own_sub_order_at_wechat(shop):
    order = paid(shop, "cship-0008")
    mango_no, mango_paid = payment_of(order, MANGO)
    eggs_no, eggs_paid = payment_of(order, EGGS)
    ship(order, MANGO)
    ship(order, EGGS)
    for merchant_id, (own_no, own_paid), (other_no, other_paid) in (
        (EGGS, (eggs_no, eggs_paid), (mango_no, mango_paid)),
        (MANGO, (mango_no, mango_paid), (eggs_no, eggs_paid)),
    ):
        role = f"merchant:{merchant_id}"
        shown = as_operator("order_inspect", {"order_id": order["_id"]}, role)["data"]["order"]
        assert shown["wechat_shipping"]["parts"] == {
            own_no: {"state": "UPLOADED", "transaction_id": own_paid}
        }
        assert shown["transaction_id"] == own_paid
        assert other_no not in str(shown) and other_paid not in str(shown)
        listed = as_operator("order_search", {"order_id": order["_id"]}, role)["data"]
        (row,) = listed["orders"]
        assert other_paid not in str(row) and other_no not in str(row)


def test_the_local_wechat_knows_a_payment_by_its_transaction_id_only(shop):
    """order_number_type 2 and get_order name WeChat Pay's transaction_id: an out_trade_no
    there is no payment WeChat knows (10060001), a sub-order's or a direct order's."""
    order = paid(shop, "cship-0009")
    mango_no, mango_paid = payment_of(order, MANGO)
    api = wechat_api()
    for number in (mango_no, order["_id"]):
        assert api.call(GET_ORDER, {"transaction_id": number})["errcode"] == 10060001
        body = {
            "order_key": {"order_number_type": 2, "transaction_id": number},
            "logistics_type": 4,
            "delivery_mode": 1,
            "shipping_list": [{"item_desc": "芒果*2"}],
            "upload_time": "2026-12-08T10:00:00.000+08:00",
            "payer": {"openid": order["openid"]},
        }
        assert api.call(UPLOAD, body)["errcode"] == 10060001
    assert api.call(GET_ORDER, {"transaction_id": mango_paid})["errcode"] == 0


def test_a_crash_after_wechat_took_a_sub_orders_upload_never_sends_it_again(shop, monkeypatch):
    """WeChat accepted mango's upload, the process died before recording it: once its lease
    has passed, the timer finds WeChat has it (get_order) and records it, uploading nothing
    again, so the sub-order keeps its one re-shipping."""
    from retail.orders import shipping_upload

    order = paid(shop, "cship-0010")
    mango_no, mango_paid = payment_of(order, MANGO)
    real = shipping_upload._record

    def dies(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process died")

    monkeypatch.setattr(shipping_upload, "_record", dies)
    carrier, tracking_no = SHIP_AS[MANGO]
    data = {"order_id": order["_id"], "carrier": carrier, "tracking_no": tracking_no}
    assert as_operator("order_ship", data, f"merchant:{MANGO}")["code"] == "INTERNAL"
    monkeypatch.setattr(shipping_upload, "_record", real)
    assert len(uploads()) == 1 and state_at_wechat(mango_paid) == 2
    travel(timedelta(minutes=3))  # past the dead call's lease
    assert handler("shipping_sync")(sample("shipping_sync"), {})["code"] == "OK"
    assert len(uploads()) == 1  # nothing sent twice
    part = stored(shop, order)["wechat_shipping"]["parts"][mango_no]
    assert part["state"] == "UPLOADED" and "sending" not in part
    held = shop.sandbox_wechat_orders.find_one({"_id": mango_paid})
    assert held["finish_shipping_count"] == 1
