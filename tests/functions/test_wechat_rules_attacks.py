"""What a hostile review of WeChat's order rules found (issue 29 §2-§4), each kept as a test:
orders WeChat holds complete only on WeChat's word, whatever races them; pushes replayed
through WeChat's URL check open nothing; odd numbers in genuine pushes answer no 500; erasure
and export cover image checks; a review's images are asked even when its writer died; a
pickup is "ready" only when the store may hand it over; every template key type is cut to
WeChat's rule."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest

from retail.adapters.wechat_push import push_secrets, signature
from retail.common.clock import travel
from retail.common.settings import reset_settings
from retail.notices import fit
from retail_dev.platform_journal import calls
from retail_dev.wechat_push_sender import sealed_request
from retail_dev.wechat_sandbox import SAMPLE_NOTICE_TEMPLATES

from .harness import (
    as_operator,
    call,
    completed_order,
    deliver_wechat_pushes,
    finish_erasures,
    handler,
    http_event,
    paid_through_wechat_pay,
    push_to_platform_event,
)

pytestmark = pytest.mark.usefixtures("fresh_sandbox", "review_images")
FOLDER = "reviews/o-test-user/"
EGGS = [{"sku_id": "p-eggs-1", "qty": 1}]
GET_ORDER = "/wxa/sec/order/get_order"


def write(order: dict[str, Any], text: str = "甜", images: list[str] | None = None) -> Any:
    data = {"order_id": order["order_id"], "sku_id": "p-mango-1", "rating": 4, "text": text}
    return call("review_create", {**data, "images": images or []})


def shown() -> list[str]:
    page = call("review_list", {"product_id": "p-mango"}, None)["data"]
    return [r["review_id"] for r in page["reviews"]]


def rating(db: Any) -> dict[str, int]:
    r = db.products.find_one({"_id": "p-mango"}).get("rating") or {}
    return {"count": r.get("count", 0), "sum": r.get("sum", 0)}


# ---- claim 5: erasure / export and media checks -------------------------------------------


def test_erasure_leaves_the_buyers_openid_in_media_checks(seeded):
    order = completed_order("zz-erase-01")
    write(order, "图", [FOLDER + "photo.jpg"])
    assert deliver_wechat_pushes() == [200]
    exported = call("user_export", {})
    assert exported["code"] == "OK", exported
    assert seeded.media_checks.count_documents({"openid": "o-test-user"}) == 1
    assert call("user_delete", {"confirm": True})["code"] == "OK"
    finish_erasures()
    left = list(seeded.media_checks.find({"key": FOLDER + "photo.jpg"}))
    assert left == [], f"after erasure media_checks still name the buyer: {left}"


def test_export_includes_the_buyers_media_checks(seeded):
    order = completed_order("zz-erase-02")
    write(order, "图", [FOLDER + "photo.jpg"])
    assert deliver_wechat_pushes() == [200]
    records = call("user_export", {})["data"]["records"]
    assert [c["key"] for c in records["media_checks"]] == [FOLDER + "photo.jpg"]


# ---- claim 1: a risky image answered after erasure publishes the review -------------------


def test_an_image_answered_after_erasure_never_shows_the_review(seeded):
    order = completed_order("zz-erase-03")
    review = write(order, "图", [FOLDER + "risky.jpg"])["data"]
    assert review["held"] == "PENDING"
    assert call("user_delete", {"confirm": True})["code"] == "OK"
    assert deliver_wechat_pushes() == [200]  # WeChat: the image is risky (色情)
    stored = seeded.reviews.find_one({"_id": review["review_id"]})
    visible, counted = review["review_id"] in shown(), rating(seeded)
    assert not visible and counted == {"count": 0, "sum": 0} and stored["hidden"], (
        f"visible={visible} rating={counted} held={stored['held']} hidden={stored['hidden']}"
    )


# ---- claim 1: a writer that died, then a retry ---------------------------------------------


def test_a_writer_that_died_before_asking_has_its_images_asked_by_the_retry(seeded, monkeypatch):
    import retail.reviews.reviews as reviews_module

    order = completed_order("zz-died-01")

    def died(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("process killed")

    monkeypatch.setattr(reviews_module, "ask_missing_image_checks", died)
    first = write(order, "图", [FOLDER + "a.jpg"])
    assert first["code"] == "INTERNAL"
    monkeypatch.undo()
    travel(timedelta(minutes=5))
    try:
        retry = write(order, "图", [FOLDER + "a.jpg"])
    finally:
        travel(timedelta(0))
    asked = calls("/wxa/media_check_async")
    assert retry["code"] == "CONFLICT" and len(asked) == 1, (
        f"retry answered {retry['code']} {retry.get('details')}; images asked: {len(asked)}; "
        f"review stuck held={seeded.reviews.find_one({})['held']}"
    )


# ---- claim 3: orders WeChat holds ------------------------------------------------------


def _rider_event(order: dict[str, Any], status: str) -> dict[str, Any]:
    from retail.adapters.delivery import sign_notification

    body = json.dumps(
        {"delivery_id": order["delivery_id"], "order_id": order["_id"], "status": status}
    )
    return http_event(body, {"X-Delivery-Signature": sign_notification(body.encode())})


def test_a_rider_delivery_leaves_an_order_wechat_holds_to_wechat(seeded):
    from .harness import sample

    point = {**sample("order_place")["address"], "latitude": 25.0402, "longitude": 102.7115}
    placed = paid_through_wechat_pay(
        seeded,
        "zz-rider-01",
        delivery="instant",
        address=point,
        items=[{"sku_id": "p-mango-1", "qty": 1}],
    )
    doc = seeded.orders.find_one({"_id": placed["order_id"]})
    notify = handler("delivery_notify")
    assert notify(_rider_event(doc, "PICKED_UP"), {})["statusCode"] == 200
    doc = seeded.orders.find_one({"_id": placed["order_id"]})
    assert doc["status"] == "SHIPPED" and doc["wechat_shipping"]["state"] == "UPLOADED"
    asked = len(calls(GET_ORDER))
    assert notify(_rider_event(doc, "DELIVERED"), {})["statusCode"] == 200
    after = seeded.orders.find_one({"_id": placed["order_id"]})
    assert after["status"] == "SHIPPED" and len(calls(GET_ORDER)) > asked, (
        f"completed ({after['status']}) with get_order asked {len(calls(GET_ORDER)) - asked} "
        f"times; WeChat's receipt: {after.get('wechat_receipt')}"
    )


def test_a_buyer_racing_the_shipment_does_not_complete_an_order_wechat_holds(seeded, monkeypatch):
    import retail.orders.fulfilment as fulfilment

    placed = paid_through_wechat_pay(seeded, "zz-race-01", items=EGGS)
    real = fulfilment.transition
    shipped_meanwhile = []

    def ship_lands_between_read_and_write(db: Any, order_id: str, *a: Any, **k: Any) -> Any:
        if a and a[2:3] == ("received",) and not shipped_meanwhile:
            shipped_meanwhile.append(1)
            ship = {"order_id": order_id, "carrier": "SF", "tracking_no": "SF7777"}
            assert as_operator("order_ship", ship)["code"] == "OK"
        return real(db, order_id, *a, **k)

    monkeypatch.setattr(fulfilment, "transition", ship_lands_between_read_and_write)
    answer = call("order_confirm", {"order_id": placed["order_id"]})
    monkeypatch.undo()
    after = seeded.orders.find_one({"_id": placed["order_id"]})
    assert shipped_meanwhile and after["wechat_shipping"]["state"] == "UPLOADED"
    assert after["status"] != "COMPLETED", (answer["code"], after.get("wechat_receipt"))


def test_an_order_whose_upload_is_being_retried_waits_for_wechat(seeded, monkeypatch):
    from retail.adapters.wechat import wechat_api

    placed = paid_through_wechat_pay(seeded, "zz-retry-01", items=EGGS)
    real = wechat_api().transport.post_json
    busy = {"errcode": -1, "errmsg": "system error"}

    def upload_busy(path: str, params: dict[str, str], body: dict[str, Any]) -> Any:
        return busy if "upload_shipping_info" in path else real(path, params, body)

    monkeypatch.setattr(wechat_api().transport, "post_json", upload_busy)
    ship = {"order_id": placed["order_id"], "carrier": "SF", "tracking_no": "SF8888"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    monkeypatch.undo()
    doc = seeded.orders.find_one({"_id": placed["order_id"]})
    assert doc["wechat_shipping"]["state"] == "RETRYING", doc["wechat_shipping"]
    answer = call("order_confirm", {"order_id": placed["order_id"]})
    assert answer["details"]["reason"] == "CONFIRM_AT_WECHAT", answer


# ---- claim 2: platform_event ----------------------------------------------------------


def test_an_old_sealed_push_replayed_through_a_get_opens_nothing(seeded, monkeypatch):
    """A URL-verification signature (sha1 of token, timestamp, nonce: WeChat puts it in every
    POST's query too) covers no Encrypt: one beside it is never opened."""
    import retail.adapters.wechat_push as wechat_push

    from .test_platform_event import MEDIA_EVENT

    captured_query, captured_body = sealed_request(MEDIA_EVENT)  # seen two hours ago
    encrypt = json.loads(captured_body)["Encrypt"]
    later = time.time() + 7200

    class Later:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr(wechat_push, "time", Later)
    stale_post = handler("platform_event")(http_event(captured_body, query=captured_query), {})
    assert stale_post["statusCode"] == 401  # the POST path refuses the replay
    secrets = push_secrets()
    assert secrets is not None
    ts, once = str(int(later)), "123456"
    fresh_query_of_any_later_push = {
        "signature": signature(secrets.token, ts, once),
        "timestamp": ts,
        "nonce": once,
    }
    query = {**fresh_query_of_any_later_push, "echostr": "x", "Encrypt": encrypt}
    reply = handler("platform_event")(http_event("", method="GET", query=query), {})
    assert seeded.media_checks.count_documents({}) == 0, (reply["statusCode"], reply["body"])


@pytest.mark.parametrize("label", [2**70, -(2**70)])
def test_odd_label_in_a_push_does_not_answer_500(seeded, label):
    from .test_platform_event import MEDIA_EVENT

    event = {**MEDIA_EVENT, "result": {"suggest": "pass", "label": label}}
    assert push_to_platform_event(*sealed_request(event)) != 500


def test_huge_trace_id_in_a_push_does_not_answer_500(seeded):
    from .test_platform_event import MEDIA_EVENT

    event = {**MEDIA_EVENT, "trace_id": "t" * 60000}
    assert push_to_platform_event(*sealed_request(event)) != 500


@pytest.mark.parametrize("estimate", [10**18, -(10**18), 2**70])
def test_odd_settlement_estimate_does_not_answer_500(seeded, estimate):
    placed = paid_through_wechat_pay(seeded, f"zz-est-{abs(estimate) % 97}", items=EGGS)
    ship = {"order_id": placed["order_id"], "carrier": "SF", "tracking_no": "SF9999"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    doc = seeded.orders.find_one({"_id": placed["order_id"]})
    event = {
        "Event": "trade_manage_order_settlement",
        "transaction_id": doc["transaction_id"],
        "merchant_trade_no": doc["_id"],
        "estimated_settlement_time": estimate,
    }
    assert push_to_platform_event(*sealed_request(event)) != 500


# ---- order notices ------------------------------------------------------------------

SEND = "/cgi-bin/message/subscribe/send"


@pytest.fixture
def templates(monkeypatch):
    monkeypatch.setenv("RETAIL_NOTICE_TEMPLATES", json.dumps(SAMPLE_NOTICE_TEMPLATES))
    reset_settings()


def test_ready_for_pickup_waits_for_a_group_order_to_form(seeded, templates):
    from .test_group_functions import pay

    assert call("subscribe_accept", {"accepted": ["pickup-ready"]}, "o-lead")["code"] == "OK"
    stock = {"sku_id": "p-honey-1", "location": "s-nanping", "delta": 5, "reason": "delivery"}
    assert as_operator("stock_adjust", stock, "admin")["code"] == "OK"
    data = {
        "items": [{"sku_id": "p-honey-1", "qty": 1}],
        "delivery": "pickup",
        "store_id": "s-nanping",
        "idempotency_key": "zz-group-pickup-01",
        "group": {"deal_id": "g-honey-3"},
    }
    order = call("order_place", data, openid="o-lead")["data"]
    pay(seeded, order)
    code = seeded.orders.find_one({"_id": order["order_id"]})["pickup_code"]
    refused = as_operator(
        "order_pickup_verify", {"store_id": "s-nanping", "pickup_code": code}, "service"
    )
    assert refused["details"]["reason"] == "GROUP_NOT_FORMED"
    told = [c["body"] for c in calls(SEND) if c["body"]["template_id"] == "pickup-ready"]
    assert told == [], f"told 'ready for pickup' (code {code}) while the store must refuse it"
    from .test_group_functions import group_order

    for n in (1, 2):  # the group fills and forms: now the store may hand it over
        pay(seeded, group_order(f"o-m{n}", f"zz-group-pickup-0{n + 1}", order["group_id"])["data"])
    told = [c["body"] for c in calls(SEND) if c["body"]["template_id"] == "pickup-ready"]
    assert [t["touser"] for t in told] == ["o-lead"]


@pytest.mark.parametrize(
    ("key", "value", "limit"),
    [("name1", "欧阳" * 8, 10), ("symbol2", "%%%%%%%%", 5), ("car_number3", "云A123456789", 8)],
)
def test_other_key_types_are_cut_to_wechats_rule(key, value, limit):
    assert len(fit(key, value)) <= limit, fit(key, value)
