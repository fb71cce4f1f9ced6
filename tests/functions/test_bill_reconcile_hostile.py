"""Both bills of a day under attack (a hostile review of the fees and the fund-flow bill, each
finding now a test): a commission credited twice, a bill refused or unreadable, splits we
learn of late, bill text that would be a field name, a layout without fees, a file read
short, a day's fees in one batch, the same local file when asked again."""

from __future__ import annotations

import json
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from retail.common.clock import travel
from retail.payments.bill_fees import fees_of, keep_fees
from retail.payments.bill_reconcile import reconcile_day
from retail.payments.connect import wechatpay_client
from retail.payments.trade_bills import parse_trade_bill
from retail_dev import wechatpay_bills as bills

from .harness import call, paid_through_wechat_pay
from .test_bill_reconcile import next_morning as trade_next_morning
from .test_bill_reconcile import unknown_payment
from .test_bill_reconcile_attacks import rewrite_bill
from .test_fund_flow_bill import DAYS_ON, mismatches, reconcile, split_order
from .test_fund_flow_bill import next_morning as fund_next_morning
from .test_marketplace_payments import shop as shop  # the marketplace fixture

CST = timezone(timedelta(hours=8))
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "wechatpay" / "trade_bill.json"
pytestmark = pytest.mark.usefixtures("fresh_sandbox")


@pytest.fixture(autouse=True)
def back_to_now():
    yield
    travel(timedelta(0))


def kinds(db: Any) -> list[str]:
    return sorted(e["evidence"]["difference"] for e in mismatches(db))


def test_one_commission_credited_twice_is_a_difference(shop, monkeypatch):
    _, day = split_order(shop, "rv35-twice")
    moves = bills._account_moves

    def twice() -> list[Any]:
        found = moves()
        return found + [m for m in found if m[3] == "分账"]

    monkeypatch.setattr(bills, "_account_moves", twice)
    fund_next_morning(DAYS_ON)
    reconcile()
    flows = shop.bill_days.find_one({"_id": day.isoformat()})["fund_flow"]
    assert flows["rows"] == 2  # the bill does have the commission twice
    assert kinds(shop) == ["split_income_twice"]


def test_a_refused_fund_flow_bill_does_not_hide_the_trade_bills_findings(seeded, monkeypatch):
    call("user_login", {})
    paid_through_wechat_pay(seeded, "rv35-refused")
    unknown_payment(seeded)
    refused = {"code": "NO_AUTH", "message": "商户无权限"}
    monkeypatch.setattr(bills, "fund_flow_bill", lambda query: bills.answer(403, refused))
    trade_next_morning()
    summary = reconcile()
    assert "payment_unknown" in kinds(seeded), summary


def test_an_unreadable_trade_bill_does_not_skip_the_fund_flow_checks(shop, monkeypatch):
    _, day = split_order(shop, "rv35-unreadable")
    made, moves = bills._bill_text, bills._account_moves
    monkeypatch.setattr(bills, "_bill_text", lambda d: "not a bill\n" if d == day else made(d))
    # WeChat Pay's account does not show the commission it took
    monkeypatch.setattr(bills, "_account_moves", lambda: [m for m in moves() if m[3] != "分账"])
    fund_next_morning(DAYS_ON)
    reconcile()
    assert "split_income_missing" in kinds(shop), kinds(shop)


def test_a_split_learnt_after_its_days_bill_is_not_unknown(shop):
    order, day = split_order(shop, "rv35-late")
    (share,) = shop.profit_shares.find({"order_id": order["_id"], "split_day": day.isoformat()})
    # as it stood when the day's bills were read: asked, WeChat Pay's answer not queried yet
    shop.profit_shares.update_one(
        {"_id": share["_id"]},
        {"$set": {"state": "SPLITTING"}, "$unset": {"split_day": "", "receivers": ""}},
    )
    fund_next_morning(DAYS_ON)
    reconcile()
    assert kinds(shop) == [], [e["evidence"] for e in mismatches(shop)]


def test_a_split_finished_before_the_deployment_is_not_unknown(shop):
    order, _ = split_order(shop, "rv35-before")
    shop.profit_shares.update_many({"order_id": order["_id"]}, {"$unset": {"split_day": ""}})
    fund_next_morning(DAYS_ON)
    reconcile()
    assert kinds(shop) == [], [e["evidence"] for e in mismatches(shop)]


def test_a_business_name_with_a_dot_does_not_stop_the_timer(seeded, monkeypatch):
    call("user_login", {})
    paid_through_wechat_pay(seeded, "rv35-dot")
    moves = bills._account_moves
    renamed = lambda: [(*m[:3], m[3].replace("交易", "交易.v3"), *m[4:]) for m in moves()]  # noqa: E731
    monkeypatch.setattr(bills, "_account_moves", renamed)
    trade_next_morning()
    reconcile()  # asserts the timer answered OK


def test_a_bill_without_a_fee_column_keeps_no_fee(db):
    text = json.loads(GOLDEN.read_text(encoding="utf-8"))["file"]
    header, line, *rest = text.splitlines()
    names, fields = header.split(","), line.split(",")
    at = names.index("手续费")
    del names[at], fields[at]
    bill = parse_trade_bill("\n".join([",".join(names), ",".join(fields), *rest]))
    keep_fees(db, date(2022, 3, 21), bill.rows, set())
    number = bill.rows[0].out_trade_no
    assert fees_of(db, [number]) == {}, "a fee the bill never stated is shown as billed"


def test_a_trade_bill_that_does_not_add_up_to_its_summary_is_a_difference(seeded, monkeypatch):
    call("user_login", {})
    paid_through_wechat_pay(seeded, "rv35-summary")
    unknown_payment(seeded)
    # the file's detail lost the line that is not ours; its summary still counts two
    rewrite_bill(monkeypatch, lambda lines: [ln for ln in lines if "OUNKNOWN" not in ln])
    trade_next_morning()
    summary = reconcile()
    assert summary["mismatches"] >= 1, "a bill of 2 lines read as 1 and found clean"


def test_the_local_fund_flow_bill_is_the_same_file_when_asked_again(shop):
    _, day = split_order(shop, "rv35-again")
    sandbox = shop.sandbox_wechatpay
    (split,) = sandbox.find({"kind": "split", "status": "FINISHED", "receivers.amount": {"$gt": 0}})
    strange = [{**r, "detail_id": "3601-unknown"} for r in split["receivers"]]
    changed = {"receivers": strange, "out_order_no": "PX"}
    sandbox.update_one({"_id": split["_id"]}, {"$set": changed})
    fund_next_morning(DAYS_ON)
    reconcile()
    found = len(mismatches(shop))
    reconcile_day(shop, wechatpay_client(), day)
    assert len(mismatches(shop)) == found, kinds(shop)
