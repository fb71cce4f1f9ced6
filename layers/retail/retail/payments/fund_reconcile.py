"""The platform's fund-flow bill of a day (payments.fund_bills) beside our books, for
bill_reconcile (docs/decisions/0025).

In marketplace mode the platform's own account receives only its commissions: every 分账
income line must be a split profit sharing recorded, for the commission it took, and every
split whose commission reached the platform that day (its receivers' finish_time,
`profit_shares.split_day`) must be a line, once. No document says which of its numbers a
split's line carries (业务凭证号 「一般为商户订单号，不同的业务有所区别」), so a line is matched by
any number of the split we know: our out_order_no and sub-order, WeChat Pay's split order_id,
receiver detail_id and the payment's transaction_id; a line naming our out_order_no is
matched whatever day the split finished on, or whether we have heard yet that it did. Other
lines (a direct shop's payments and refunds, which the trade bill matches; returns, fees,
withdrawals) are counted by business name and direction, and the lines must add up to the
bill's own summary. Subsidies are not in it: a developer's report has them leave the
platform's operating account (运营账户), whose bill is not read.
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
NUMBERS = ("out_order_no", "wechat_order_id", "transaction_id")  # a split's, besides its _id
SHARE_FIELDS = {**dict.fromkeys(NUMBERS, 1), "split_day": 1, "receivers": 1, "commission": 1}


def fund_flow_differences(
    db: Db, client: WeChatPayClient, day: date
) -> tuple[list[Difference], dict[str, Any]]:
    """The day's differences, and its figures for bill_days. Raises UpstreamUnavailable while
    WeChat Pay makes the bill, ValueError for one refused for good or that does not read."""
    bill = fetch_fund_flow_bill(client, day)
    rows = bill.rows if bill is not None else []
    differences = _summary_differences(day, bill)
    window = [(day + timedelta(days=n)).isoformat() for n in (-1, 0, 1)]
    shares = list(
        db.profit_shares.find({"split_day": {"$gte": window[0], "$lte": window[-1]}}, SHARE_FIELDS)
    )
    received = [row for row in rows if row.name == SPLIT and row.income]
    by_number = {n: share for share in shares for n in _numbers(share)}
    unmatched = [r for r in received if not {r.business_no, r.voucher} & by_number.keys()]
    by_number |= {n: share for share in _named_by(db, unmatched) for n in _numbers(share)}
    matched: set[str] = set()
    for row in received:
        share = by_number.get(row.business_no) or by_number.get(row.voucher)
        kind = _line_against(row, share, matched)
        if kind is None:
            assert share is not None
            matched.add(share["_id"])
            continue
        evidence = {"business_no": row.business_no, "voucher": row.voucher, "amount": row.amount}
        differences.append((kind, row.flow_no, evidence))
    for share in shares:
        if share["split_day"] == day.isoformat() and share["_id"] not in matched:
            taken = taken_by_platform(share)
            evidence = {"out_order_no": share.get("out_order_no"), "amount": taken}
            differences.append(("split_income_missing", share["_id"], evidence))
    return differences, _figures(rows)


def _line_against(row: FundRow, share: dict[str, Any] | None, matched: set[str]) -> str | None:
    """Why a 分账 income line is not the split it names (None: it is)."""
    if share is None:
        return "split_income_unknown"
    if share["_id"] in matched:
        return "split_income_twice"  # one commission credited twice
    return None if _expected(share) == row.amount else "split_income_differs"


def _expected(share: dict[str, Any]) -> int:
    """What the split takes to the platform: as WeChat Pay answered, or, while its answer is
    not known yet (asked, not yet queried), the commission asked."""
    if share.get("receivers"):
        return taken_by_platform(share)
    return int(share.get("commission") or 0)


def _named_by(db: Db, rows: list[FundRow]) -> list[dict[str, Any]]:
    """The splits these lines name by our own out_order_no (`P` and the sub-order) whatever
    day they finished on, or whether we know yet that they did: a split learnt after its
    day's bill, or one that finished before split_day was kept."""
    numbers = {n for row in rows for n in (row.voucher, row.business_no) if n}
    candidates = sorted(numbers | {n[1:] for n in numbers if n[:1] in ("P", "F")})
    if not candidates:
        return []
    return list(db.profit_shares.find({"_id": {"$in": candidates}}, SHARE_FIELDS))


def _numbers(share: dict[str, Any]) -> set[str]:
    numbers = {share["_id"], *(str(share.get(k) or "") for k in NUMBERS)}
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
    """The day's movements by business name and direction, in yuan (the names are the
    bill's text: kept as values, never as field names)."""
    totals: Counter[tuple[str, str]] = Counter()
    for row in rows:
        totals[(row.name, "收入" if row.income else "支出")] += row.amount
    return {
        "rows": len(rows),
        "by_business": [
            {"name": name, "direction": direction, "amount": f"{Decimal(fen) / 100:.2f}"}
            for (name, direction), fen in sorted(totals.items())
        ],
    }
