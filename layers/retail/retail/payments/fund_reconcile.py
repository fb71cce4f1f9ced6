"""The platform's fund-flow bill of a day (payments.fund_bills) beside our books, for
bill_reconcile (docs/decisions/0025).

In marketplace mode the platform's own account receives only its commissions: every 分账
income line must be a split profit sharing recorded, for the commission it took, and every
split whose commission reached the platform that day (its receivers' finish_time,
`profit_shares.split_day`) must be a line. No document says which of its numbers a split's
line carries (业务凭证号 「一般为商户订单号，不同的业务有所区别」), so a line is matched by any
number of the split we know: our out_order_no and sub-order, WeChat Pay's split order_id,
receiver detail_id and the payment's transaction_id. Other lines (a direct shop's payments
and refunds, which the trade bill matches; subsidies, returns, fees, withdrawals) are
counted by business name and kind, and the lines must add up to the bill's own summary.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from retail.store import Db

from .client import WeChatPayClient
from .fund_bills import FundFlowBill, FundRow, fetch_fund_flow_bill
from .share_steps import taken_by_platform

SPLIT = "分账"  # 业务名称 of a profit-sharing line
Difference = tuple[str, str, dict[str, Any]]  # kind, the number it is about, evidence
SHARE_FIELDS = {"split_day": 1, "out_order_no": 1, "wechat_order_id": 1, "transaction_id": 1}


def fund_flow_differences(
    db: Db, client: WeChatPayClient, day: date
) -> tuple[list[Difference], dict[str, Any]]:
    """The day's differences, and its figures for bill_days. Raises UpstreamUnavailable while
    WeChat Pay makes the bill, ValueError for one that does not read."""
    bill = fetch_fund_flow_bill(client, day)
    rows = bill.rows if bill is not None else []
    differences = _summary_differences(day, bill)
    window = [(day + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
    shares = list(
        db.profit_shares.find(
            {"split_day": {"$gte": window[0], "$lte": window[-1]}},
            {**SHARE_FIELDS, "receivers": 1},
        )
    )
    by_number = {number: share for share in shares for number in _numbers(share)}
    matched: set[str] = set()
    for row in rows:
        if row.name != SPLIT or not row.income:
            continue
        share = by_number.get(row.business_no) or by_number.get(row.voucher)
        if share is not None and taken_by_platform(share) == row.amount:
            matched.add(share["_id"])
            continue
        kind = "split_income_unknown" if share is None else "split_income_differs"
        evidence = {"business_no": row.business_no, "voucher": row.voucher, "amount": row.amount}
        differences.append((kind, row.flow_no, evidence))
    for share in shares:
        if share["split_day"] == day.isoformat() and share["_id"] not in matched:
            evidence = {
                "out_order_no": share.get("out_order_no"),
                "amount": taken_by_platform(share),
            }
            differences.append(("split_income_missing", share["_id"], evidence))
    return differences, _figures(rows)


def _numbers(share: dict[str, Any]) -> set[str]:
    numbers = {share["_id"], *(str(share.get(k) or "") for k in SHARE_FIELDS if k != "split_day")}
    numbers |= {str(r.get("detail_id") or "") for r in share.get("receivers") or []}
    return numbers - {""}


def _summary_differences(day: date, bill: FundFlowBill | None) -> list[Difference]:
    """A bill whose lines do not add up to its own summary was not read whole."""
    if bill is None:
        return []
    income = sum(r.amount for r in bill.rows if r.income)
    expense = sum(r.amount for r in bill.rows if not r.income)
    if (len(bill.rows), income, expense) == (bill.count, bill.income, bill.expense):
        return []
    evidence = {
        "lines": [len(bill.rows), bill.count],
        "income": [income, bill.income],
        "expense": [expense, bill.expense],
    }
    return [("fund_flow_summary_differs", day.isoformat(), evidence)]


def _figures(rows: list[FundRow]) -> dict[str, Any]:
    """The day's movements by business name and direction, in yuan."""
    totals: Counter[str] = Counter()
    for row in rows:
        totals[f"{row.name}/{'收入' if row.income else '支出'}"] += row.amount
    return {
        "rows": len(rows),
        "by_business": {name: f"{Decimal(fen) / 100:.2f}" for name, fen in sorted(totals.items())},
    }
