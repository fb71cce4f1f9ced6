"""What WeChat is told of an order's shipping, against WeChat's own documented examples
(tests/golden/wechat/) and its rules: modes, split delivery, SF's contact, 120 characters."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from retail.adapters.wechat import WeChatApi
from retail.orders.shipping_info import fingerprint, item_desc, masked_contact, shipping_uploads

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "wechat"
AT = datetime(2022, 12, 15, 5, 29, 35, 120000, tzinfo=timezone.utc)


def shipping_information(order: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    """The upload of an order of one payment, if any."""
    uploads = shipping_uploads(order, at)  # type: ignore[arg-type]
    assert len(uploads) <= 1
    return uploads[0][1] if uploads else None


def golden(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))


def order(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "_id": "O1",
        "openid": "ogqztkPsejM9MQAFfwCQSCi4oNg3",
        "transaction_id": "fake-transid-20221214190427-1",
        "delivery": "express",
        "merchant_ids": ["m1"],
        "lines": [{"title": "微信气泡狗集线器", "qty": 1, "merchant_id": "m1"}],
        "address": {"telNumber": "17712341234"},
        "parcels": {"m1": {"carrier": "STO", "tracking_no": "fake-trackingno-2022121419042711"}},
    }
    return {**base, **changes}


def test_an_express_parcel_is_the_documented_example():
    """WeChat's own request example, but for its optional sender contact (not SF)."""
    expected = golden("upload_shipping_info")["request"]
    del expected["shipping_list"][0]["contact"]
    assert shipping_information(order(), AT) == expected


def test_sf_parcels_carry_the_receivers_phone_masked_with_the_last_four_digits():
    sf = order(parcels={"m1": {"carrier": "SF", "tracking_no": "SF100"}})
    body = shipping_information(sf, AT)
    assert body is not None
    assert body["shipping_list"][0]["contact"] == {"receiver_contact": "177****1234"}
    assert masked_contact("021-61234567") == "021****4567"
    assert masked_contact("1234") == "****1234"


def test_several_merchants_ship_as_a_split_delivery_finished_by_the_last_parcel():
    two = order(
        merchant_ids=["m1", "m2"],
        lines=[
            {"title": "芒果", "qty": 2, "merchant_id": "m1"},
            {"title": "鸡蛋", "qty": 1, "merchant_id": "m2"},
        ],
        parcels={"m1": {"carrier": "ZTO", "tracking_no": "Z1"}},
    )
    first = shipping_information(two, AT)
    assert first is not None
    assert (first["delivery_mode"], first["is_all_delivered"]) == (2, False)
    assert first["shipping_list"] == [
        {"tracking_no": "Z1", "express_company": "ZTO", "item_desc": "芒果*2"}
    ]
    two["parcels"]["m2"] = {"carrier": "YD", "tracking_no": "Y2"}
    last = shipping_information(two, AT)
    assert last is not None and last["is_all_delivered"] is True
    assert [p["item_desc"] for p in last["shipping_list"]] == ["芒果*2", "鸡蛋*1"]
    # One carrier and tracking number for both parcels: one entry naming both.
    two["parcels"]["m2"] = {"carrier": "ZTO", "tracking_no": "Z1"}
    same = shipping_information(two, AT)
    assert same is not None and same["shipping_list"][0]["item_desc"] == "芒果*2;鸡蛋*1"


def test_a_waiting_parcel_refunded_leaves_the_split_delivery_finished():
    two = order(
        merchant_ids=["m1", "m2"],
        parcels={"m1": {"carrier": "ZTO", "tracking_no": "Z1"}},
        parcel_refunds={"m2": {"status": "REFUNDED"}},
    )
    body = shipping_information(two, AT)
    assert body is not None and body["is_all_delivered"] is True


def test_riders_pickups_and_memberships_are_one_entry_of_their_own_logistics_type():
    for delivery, logistics in (("instant", 2), ("virtual", 3), ("pickup", 4)):
        body = shipping_information(order(delivery=delivery, parcels={}), AT)
        assert body is not None
        assert (body["logistics_type"], body["delivery_mode"]) == (logistics, 1)
        assert body["shipping_list"] == [{"item_desc": "微信气泡狗集线器*1"}]


def test_nothing_to_tell_before_a_parcel_leaves_or_without_a_wechat_pay_transaction():
    assert shipping_information(order(parcels={}), AT) is None
    assert shipping_information(order(transaction_id=None), AT) is None


def test_item_descriptions_stay_within_wechats_120_characters():
    many = order(lines=[{"title": "很长的商品名称" * 5, "qty": 1, "merchant_id": "m1"}] * 5)
    assert len(item_desc(many, None)) == 120


def test_the_fingerprint_ignores_the_upload_time_only():
    body = shipping_information(order(), AT)
    later = shipping_information(order(), datetime(2023, 1, 1, tzinfo=timezone.utc))
    assert body is not None and later is not None
    assert fingerprint(body) == fingerprint(later)
    other = shipping_information(
        order(parcels={"m1": {"carrier": "STO", "tracking_no": "other"}}), AT
    )
    assert other is not None and fingerprint(other) != fingerprint(body)


class Documented:
    """A transport that answers with a documented example."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        raise AssertionError("not called")

    def post_json(self, path: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        self.asked.append((path, body))
        if path == "/cgi-bin/stable_token":
            return {"access_token": "t", "expires_in": 7200}
        return self.answer


def test_the_documented_delivery_list_and_trade_management_answers_are_read_as_documented():
    couriers = Documented(golden("get_delivery_list")["answer"])
    assert WeChatApi(couriers, "wx0123456789abcdef", "s").delivery_list() == {
        "(AU)": "Interparcel",
        "BDT": "八达通",
        "YD": "韵达速递",
    }
    managed = Documented(golden("is_trade_managed")["answer"])
    assert WeChatApi(managed, "wx0123456789abcdef", "s").is_trade_managed() is True
    assert managed.asked[-1] == (
        "/wxa/sec/order/is_trade_managed",
        golden("is_trade_managed")["request"],
    )


def test_past_wechats_15_entries_the_first_15_parcels_out_stay_the_ones_uploaded():
    """WeChat takes at most 15 entries; a later parcel must not displace one it has."""
    merchants = [f"m{n:02d}" for n in range(1, 17)]
    parcels = {
        m: {"carrier": "ZTO", "tracking_no": f"Z{n}", "shipped_at": datetime(2026, 1, 1, n)}
        for n, m in enumerate(merchants, start=1)
    }
    parcels["m00"] = {"carrier": "ZTO", "tracking_no": "Zlast", "shipped_at": datetime(2026, 2, 1)}
    many = order(merchant_ids=["m00", *merchants], parcels=parcels)
    body = shipping_information(many, AT)
    assert body is not None and len(body["shipping_list"]) == 15
    assert [p["tracking_no"] for p in body["shipping_list"]] == [f"Z{n}" for n in range(1, 16)]
