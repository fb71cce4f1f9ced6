"""Order notices (issue 29 §3): shipped, ready for pickup, refund result, group result; each
from its own template, only to a buyer who granted it, one grant each, at most once; the
win-back message never spends an order notice's grant."""

from __future__ import annotations

import json
from typing import Any

import pytest

from retail.adapters.wechat import wechat_api
from retail.common.errors import UpstreamUnavailable
from retail.common.settings import reset_settings
from retail.notices import fit
from retail_dev.platform_journal import calls
from retail_dev.wechat_sandbox import SAMPLE_NOTICE_TEMPLATES

from .harness import as_operator, call, handler, paid_order, sample

pytestmark = pytest.mark.usefixtures("fresh_sandbox")
SEND = "/cgi-bin/message/subscribe/send"
EGGS = [{"sku_id": "p-eggs-1", "qty": 1}]


@pytest.fixture(autouse=True)
def templates(monkeypatch):
    monkeypatch.setenv("RETAIL_NOTICE_TEMPLATES", json.dumps(SAMPLE_NOTICE_TEMPLATES))
    reset_settings()


def grant(openid: str, *templates: str) -> dict[str, int]:
    answer = call("subscribe_accept", {"accepted": list(templates)}, openid)
    assert answer["code"] == "OK", answer
    grants: dict[str, int] = answer["data"]["grants"]
    return grants


def sent(template: str | None = None) -> list[dict[str, Any]]:
    bodies = [c["body"] for c in calls(SEND)]
    return [b for b in bodies if template is None or b["template_id"] == template]


def ship(order_id: str, tracking_no: str = "SF1000000001") -> dict[str, Any]:
    data = {"order_id": order_id, "carrier": "SF", "tracking_no": tracking_no}
    answer: dict[str, Any] = as_operator("order_ship", data)
    return answer


def test_the_shipped_notice_goes_once_to_the_buyer_who_granted_it_and_nobody_else(seeded):
    grant("o-granted", "order-shipped")
    mine = paid_order("notice-0001", "o-granted", items=EGGS)
    theirs = paid_order("notice-0002", "o-silent", items=EGGS)
    ship(mine["order_id"])
    ship(mine["order_id"])  # the same parcel again: nothing new
    ship(theirs["order_id"], "SF1000000002")
    (notice,) = sent()
    assert notice["touser"] == "o-granted" and notice["template_id"] == "order-shipped"
    assert notice["page"] == f"pages/orders/detail?id={mine['order_id']}"
    data = {key: value["value"] for key, value in notice["data"].items()}
    assert data["character_string1"] == mine["order_id"]
    assert data["thing3"] == "顺丰速运" and data["character_string4"] == "SF1000000001"
    assert grant("o-granted")["order-shipped"] == 0  # the one grant is spent


def test_a_grant_for_one_notice_never_pays_for_another(seeded):
    grant("o-refund-only", "refund-result")
    order = paid_order("notice-0003", "o-refund-only", items=EGGS)
    ship(order["order_id"])
    assert sent() == []
    assert grant("o-refund-only")["refund-result"] == 1


def test_a_pickup_order_is_ready_once_paid_with_its_store_and_code(seeded):
    grant("o-pickup", "pickup-ready")
    data = {"items": EGGS, "delivery": "pickup", "store_id": "s-nanping"}
    order = paid_order("notice-0004", "o-pickup", **data)
    (notice,) = sent("pickup-ready")
    values = {key: value["value"] for key, value in notice["data"].items()}
    assert values["character_string4"] == order["pickup_code"] and values["thing3"]


def test_the_refund_result_is_sent_when_the_money_is_back(seeded):
    from retail_dev.wechatpay_sandbox import complete_refund

    from .harness import paid_through_wechat_pay

    grant("o-test-user", "refund-result")
    order = paid_through_wechat_pay(seeded, "notice-0005", items=EGGS)
    asked = call("refund_request", {"order_id": order["order_id"], "reason": "不要了"})
    assert asked["data"]["status"] == "REFUNDING"
    assert sent("refund-result") == []  # asked, not back yet
    complete_refund(f"R{order['order_id']}", "SUCCESS", send=_notify)
    (notice,) = sent("refund-result")
    values = {key: value["value"] for key, value in notice["data"].items()}
    assert values["phrase3"] == "退款成功" and values["amount2"] == f"¥{order['total'] / 100:.2f}"


def _notify(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
    from .harness import http_event

    name = url.rsplit("/", 1)[-1]
    return [handler(name)(http_event(body, headers), {})["statusCode"]] * times


def test_group_members_who_granted_it_hear_the_group_formed(seeded):
    from .test_group_functions import group_order, pay

    grant("o-lead", "group-result")
    leader = group_order("o-lead", "group-note-0001")["data"]
    members = [group_order(f"o-m{i}", f"group-note-000{i + 2}", leader["group_id"]) for i in (1, 2)]
    for order in [leader, *[m["data"] for m in members]]:
        pay(seeded, order)
    (notice,) = sent("group-result")
    assert notice["touser"] == "o-lead"
    assert notice["data"]["phrase2"]["value"] == "拼团成功"


def test_members_who_paid_hear_the_group_failed_once_and_the_unpaid_nothing(seeded):
    from datetime import timedelta

    from retail.common.clock import utcnow

    from .test_group_functions import expire_timer, group_order, pay

    grant("o-lead", "group-result")
    grant("o-m1", "group-result")
    leader = group_order("o-lead", "group-fail-0001")["data"]
    group_order("o-m1", "group-fail-0002", leader["group_id"])  # never pays
    pay(seeded, leader)
    past = {"$set": {"deadline": utcnow() - timedelta(seconds=1)}}
    seeded.groups.update_one({"_id": leader["group_id"]}, past)
    expire_timer()
    expire_timer()
    (notice,) = sent("group-result")
    assert notice["touser"] == "o-lead" and notice["data"]["phrase2"]["value"] == "拼团失败"


def test_a_busy_wechat_gives_the_grant_back_and_the_notice_is_not_sent_twice(seeded, monkeypatch):
    grant("o-busy", "order-shipped")
    order = paid_order("notice-0006", "o-busy", items=EGGS)

    def busy(*_args: Any) -> Any:
        raise UpstreamUnavailable("WeChat did not answer; try again")

    monkeypatch.setattr(wechat_api(), "send_subscribe_message", busy)
    ship(order["order_id"])
    monkeypatch.undo()
    assert grant("o-busy")["order-shipped"] == 1
    ship(order["order_id"])
    assert sent() == []  # at most once: that shipment's notice was tried
    assert seeded.notices.find_one({"openid": "o-busy"})["outcome"] == "failed"


def test_a_buyer_who_refused_loses_their_grants(seeded):
    grant("o-refused-notices", "order-shipped", "order-shipped")
    order = paid_order("notice-0007", "o-refused-notices", items=EGGS)
    ship(order["order_id"])
    assert grant("o-refused-notices")["order-shipped"] == 0


def test_the_winback_message_spends_only_its_own_grant(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_WINBACK_MESSAGE_TEMPLATE", "coupon-arrived")
    reset_settings()
    from datetime import timedelta

    from retail.common.clock import utcnow

    grant("o-lapsed", "order-shipped")
    lapsed = {"$set": {"last_paid_at": utcnow() - timedelta(days=90)}}
    seeded.users.update_one({"_id": "o-lapsed"}, lapsed, upsert=True)
    answer = handler("coupon_lapsed")(sample("coupon_lapsed"), {})
    assert answer["data"]["granted"] == 1 and answer["data"]["messaged"] == 0
    assert grant("o-lapsed")["order-shipped"] == 1 and sent() == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "thing2",
            "一二三四五六七八九十一二三四五六七八九十一二",
            "一二三四五六七八九十一二三四五六七八九…",
        ),
        ("character_string1", "O2612 07-中文x", "O261207-x"),
        ("phrase3", "退款成功ok", "退款成功"),
        ("amount2", 12345, "¥123.45"),
        ("number1", "12a3", "123"),
    ],
)
def test_values_are_cut_to_wechats_rule_for_each_key_type(key, value, expected):
    assert fit(key, value) == expected
    assert len(fit(key, value)) <= (20 if key.startswith("thing") else 32)
