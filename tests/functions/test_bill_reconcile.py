"""bill_reconcile: each day's WeChat Pay trade bill matched line by line with our books, in
both payment modes; a difference is a risk event an operator sees, found once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from retail.common.clock import travel, utcnow
from retail.payments.bill_fees import fees_of
from retail.payments.trade_bills import parse_trade_bill

from .harness import call, handler, paid_through_wechat_pay, sample
from .test_marketplace_payments import EGGS
from .test_marketplace_payments import paid as combined_paid
from .test_marketplace_payments import shop as shop  # the marketplace fixture

CST = timezone(timedelta(hours=8))
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "wechatpay" / "trade_bill.json"
RATE = Decimal("0.006")  # the local WeChat Pay's fee rate (0.60 %)
pytestmark = pytest.mark.usefixtures("fresh_sandbox")


@pytest.fixture(autouse=True)
def back_to_now():
    yield
    travel(timedelta(0))


def next_morning() -> None:
    """Tomorrow 11:00 in Asia/Shanghai: today's bill is made."""
    local = datetime.now(CST)
    morning = local.replace(hour=11, minute=0, second=0, microsecond=0) + timedelta(days=1)
    travel(morning - local)


def unknown_payment(db: Any, number: str = "OUNKNOWN0000000000000001") -> None:
    """A payment at the local WeChat Pay that is none of ours."""
    db.sandbox_wechatpay.insert_one(
        {
            "_id": f"pay:{number}",
            "kind": "transaction",
            "appid": "wx-dev-appid",
            "mchid": "x",
            "out_trade_no": number,
            "trade_state": "SUCCESS",
            "transaction_id": "4200000000000000000000000001",
            "success_time": datetime.now(CST).isoformat(timespec="seconds"),
            "amount": {"total": 100},
            "payer": {"openid": "o-x"},
        }
    )


def reconcile() -> dict[str, Any]:
    answer = handler("bill_reconcile")(sample("bill_reconcile"), {})
    assert answer["code"] == "OK", answer
    data: dict[str, Any] = answer["data"]
    return data


def test_the_documents_example_bill_reads_as_written():
    example = json.loads(GOLDEN.read_text(encoding="utf-8"))
    bill = parse_trade_bill(example["file"])
    assert bill.count == 12  # the summary's; the example shows one line of them
    (row,) = bill.rows
    assert (row.status, row.out_trade_no, row.sub_mchid) == (
        "SUCCESS",
        "2021WERUN1647840687637",
        "176531292",
    )
    assert (row.transaction_id, row.amount, row.fee) == (
        "420000612032130748613220688",
        1,
        Decimal("0.00000"),
    )
    assert row.out_refund_no == "0" and row.refund == 0


def test_a_days_payments_and_refunds_match_the_bill(seeded):
    call("user_login", {})
    first = paid_through_wechat_pay(seeded, "bill-0001")
    paid_through_wechat_pay(seeded, "bill-0002")
    assert call("refund_request", {"order_id": first["order_id"], "reason": "no"})["code"] == "OK"
    today = datetime.now(CST).date().isoformat()
    next_morning()
    summary = reconcile()
    assert summary == {"days": [today], "mismatches": 0, "waiting": None}, summary
    day = seeded.bill_days.find_one({"_id": today})
    assert (day["payments"], day["refunds"], day["mismatches"]) == (2, 1, 0)
    assert Decimal(day["fees"]["0"]) > 0  # WeChat Pay's fee on the shop's own trades
    assert reconcile()["days"] == []  # the cursor moved on: the day is not read twice
    assert seeded.risk_events.count_documents({"kind": "bill_mismatch"}) == 0


def test_a_marketplace_bill_has_a_line_per_sub_order(shop):
    order = combined_paid(shop, "bill-0003")
    next_morning()
    assert reconcile()["mismatches"] == 0
    day = shop.bill_days.find_one(
        {"_id": (utcnow() - timedelta(days=1)).astimezone(CST).date().isoformat()}
    )
    assert day["payments"] == len(order["sub_orders"]) == 2
    assert set(day["fees"]) == {s["sub_mchid"] for s in order["sub_orders"]}


def test_each_payments_fee_is_kept_net_of_what_its_refunds_gave_back(shop):
    order = combined_paid(shop, "bill-0005")
    asked = {"order_id": order["_id"], "reason": "no", "merchant_id": EGGS}
    assert call("refund_request", asked)["code"] == "OK"
    (refund,) = shop.refunds.find({"order_id": order["_id"]})
    next_morning()
    assert reconcile()["mismatches"] == 0
    (eggs,) = [s for s in order["sub_orders"] if s["merchant_id"] == EGGS]
    kept = shop.payment_fees.find_one({"_id": eggs["out_trade_no"]})
    charged = (Decimal(eggs["amount"]) / 100 * RATE).quantize(Decimal("0.00001"))
    given_back = (Decimal(refund["amount"]) / 100 * RATE).quantize(Decimal("0.00001"))
    assert kept["paid"] == f"{charged:.5f}" and kept["sub_mchid"] == eggs["sub_mchid"]
    assert kept["refunds"] == {refund["_id"]: f"{-given_back:.5f}"}
    assert fees_of(shop, [eggs["out_trade_no"]]) == {eggs["out_trade_no"]: charged - given_back}


def test_every_difference_is_a_risk_event_found_once(seeded):
    call("user_login", {})
    kept = paid_through_wechat_pay(seeded, "bill-0004")
    paid_through_wechat_pay(seeded, "bill-0005")
    # WeChat Pay has a payment we never heard of, ...
    unknown_payment(seeded)
    # ... took another amount for one of ours, ...
    seeded.sandbox_wechatpay.update_one(
        {"_id": f"pay:{kept['out_trade_no']}"}, {"$set": {"amount.total": kept["total"] + 1}}
    )
    # ... and one order we marked paid is not in its bill at all.
    seeded.orders.update_one(
        {"_id": "bill-missing"},
        {"$set": {"paid_at": utcnow(), "out_trade_no": "OMISSING", "transaction_id": "42x"}},
        upsert=True,
    )
    next_morning()
    assert reconcile()["mismatches"] == 3
    events = seeded.risk_events.find({"kind": "bill_mismatch"})
    found = {e["evidence"]["difference"]: e["evidence"] for e in events}
    assert set(found) == {"payment_unknown", "payment_differs", "payment_missing"}
    assert found["payment_differs"]["number"] == kept["out_trade_no"]
    from retail.payments.bill_reconcile import reconcile_day
    from retail.payments.connect import wechatpay_client

    day = datetime.fromisoformat(found["payment_missing"]["day"]).date()
    assert reconcile_day(seeded, wechatpay_client(), day) == 3  # read again: no new event
    assert seeded.risk_events.count_documents({"kind": "bill_mismatch"}) == 3


def test_a_bill_not_made_yet_waits_for_the_next_run(seeded):
    call("user_login", {})
    paid_through_wechat_pay(seeded, "bill-0006")
    today = datetime.now(CST).date().isoformat()
    summary = reconcile()  # today's bill cannot be had before tomorrow 10:00
    assert today not in summary["days"] and summary["mismatches"] == 0
    next_morning()
    assert reconcile()["days"][-1] == today  # and any day between, in order
    assert seeded.bill_days.find_one({"_id": today})["payments"] == 1


def test_a_refund_wechat_pay_accepted_but_did_not_bill_is_a_difference(seeded):
    call("user_login", {})
    order = paid_through_wechat_pay(seeded, "bill-0007")
    assert call("refund_request", {"order_id": order["order_id"], "reason": "no"})["code"] == "OK"
    (refund,) = seeded.refunds.find({"order_id": order["order_id"]})
    seeded.sandbox_wechatpay.update_one(  # WeChat Pay's bill of the day does not have it
        {"_id": f"refund:{refund['_id']}"}, {"$set": {"create_time": "2001-01-01T00:00:00+08:00"}}
    )
    next_morning()
    assert reconcile()["mismatches"] == 1
    (event,) = seeded.risk_events.find({"kind": "bill_mismatch"})
    assert (event["evidence"]["difference"], event["evidence"]["number"]) == (
        "refund_missing",
        refund["_id"],
    )
