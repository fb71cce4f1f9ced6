"""The platform's fund-flow bill (资金账单) beside the books (docs/decisions/0025): every
commission profit sharing took is a 分账 income line of its day, every such line is one of
our splits for what it took, and the lines add up to the bill's own summary."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from retail.common.clock import day_of, travel
from retail.payments.fund_bills import parse_fund_flow_bill

from .harness import handler, sample
from .test_marketplace_payments import shop as shop  # the marketplace fixture
from .test_profit_sharing import back_to_now as back_to_now  # autouse
from .test_profit_sharing import completed, later, run, settle

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "wechatpay" / "fund_flow_bill.json"
CST = timezone(timedelta(hours=8))
DAYS_ON = 8  # past the refund window: profit sharing splits


def reconcile() -> dict[str, Any]:
    answer = handler("bill_reconcile")(sample("bill_reconcile"), {})
    assert answer["code"] == "OK", answer
    data: dict[str, Any] = answer["data"]
    return data


def next_morning(days_on: int) -> None:
    """11:00 in Asia/Shanghai the day after `days_on` days from now: that day's bills are
    made (the clock's travel is set from the real now)."""
    now = datetime.now(CST)
    local = now + timedelta(days=days_on)
    morning = local.replace(hour=11, minute=0, second=0, microsecond=0) + timedelta(days=1)
    travel(morning - now)


def mismatches(db: Any) -> list[dict[str, Any]]:
    return list(db.risk_events.find({"kind": "bill_mismatch"}))


def split_order(db: Any, key: str) -> tuple[dict[str, Any], date]:
    """A completed order whose commission profit sharing took; the day it did."""
    order = completed(db, key)
    reconcile()  # the bills are read from here on
    later(DAYS_ON)
    settle(day_of(order["completed_at"]).isoformat())
    run()
    (share,) = db.profit_shares.find({"order_id": order["_id"], "split_day": {"$exists": True}})
    return order, date.fromisoformat(share["split_day"])


def test_the_documents_example_reads_as_written():
    bill = parse_fund_flow_bill(json.loads(GOLDEN.read_text(encoding="utf-8"))["file"])
    (row,) = bill.rows
    assert (row.name, row.kind, row.income, row.amount) == ("退款", "退款", False, 2)
    assert row.business_no == "50000305742018020103387128253"
    assert row.voucher == "REF4200000068201801293084726067"
    assert (bill.count, bill.income, bill.expense) == (20, 35, 18)


def test_each_commission_taken_is_a_line_of_the_platforms_account_that_day(shop):
    order, day = split_order(shop, "fund-0001")
    next_morning(DAYS_ON)
    summary = reconcile()
    assert day.isoformat() in summary["days"] and summary["mismatches"] == 0, summary
    flows = shop.bill_days.find_one({"_id": day.isoformat()})["fund_flow"]
    (share,) = shop.profit_shares.find({"order_id": order["_id"], "split_day": day.isoformat()})
    taken = sum(r["amount"] for r in share["receivers"] if r["result"] == "SUCCESS")
    assert flows["by_business"] == [
        {"name": "分账", "direction": "收入", "amount": f"{taken / 100:.2f}"}
    ]
    assert shop.risk_events.count_documents({"kind": "bill_mismatch"}) == 0


def test_a_split_missing_from_the_bill_and_a_line_we_never_split_are_differences(shop):
    order, day = split_order(shop, "fund-0002")
    sandbox = shop.sandbox_wechatpay
    (split,) = sandbox.find({"kind": "split", "status": "FINISHED", "receivers.amount": {"$gt": 0}})
    # WeChat Pay's account shows the money under numbers we never had, and not our split
    strange = [{**r, "detail_id": "3601-unknown"} for r in split["receivers"]]
    sandbox.update_one(
        {"_id": split["_id"]}, {"$set": {"receivers": strange, "out_order_no": "PX"}}
    )
    next_morning(DAYS_ON)
    assert reconcile()["mismatches"] == 2
    found = {e["evidence"]["difference"]: e["evidence"] for e in mismatches(shop)}
    assert set(found) == {"split_income_unknown", "split_income_missing"}
    missing = found["split_income_missing"]
    assert missing["number"] in {s["out_trade_no"] for s in order["sub_orders"]}
    assert missing["day"] == day.isoformat()


def test_a_line_for_another_amount_than_the_split_took_is_a_difference(shop):
    _, day = split_order(shop, "fund-0003")
    sandbox = shop.sandbox_wechatpay
    (split,) = sandbox.find({"kind": "split", "status": "FINISHED", "receivers.amount": {"$gt": 0}})
    more = [{**r, "amount": r["amount"] + 1} for r in split["receivers"]]
    sandbox.update_one({"_id": split["_id"]}, {"$set": {"receivers": more}})
    next_morning(DAYS_ON)
    reconcile()
    found = sorted(e["evidence"]["difference"] for e in mismatches(shop))
    assert found == ["split_income_differs", "split_income_missing"]
    assert all(e["evidence"]["day"] == day.isoformat() for e in mismatches(shop))
