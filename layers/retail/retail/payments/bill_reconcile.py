"""Timer (bill_reconcile): each day's WeChat Pay trade bill matched line by line with our books
(docs/decisions/0025), once the bill is made (WeChat Pay: after 10:00 the next day), and the
platform's fund-flow bill of the day with the commissions profit sharing took
(payments.fund_reconcile).

Every payment in the bill must be one of ours for the same amount and transaction (a paid
order, a marketplace sub-order, or a payment we gave back), every refund one of our refund
records for the same amount; every order we marked paid that day, and every refund WeChat Pay
accepted from us that day, must be in the bill.
A difference is a risk event an operator reviews (`bill_mismatch`); the day's figures, WeChat
Pay's fees by sub-merchant among them, are kept in `bill_days`, and each payment's fee in
`payment_fees` (payments.bill_fees) for the statements. Days are taken in order from a
cursor, so a day missed (WeChat Pay busy, the timer down) is done by the next run; WeChat Pay
keeps bills for three months."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from retail.common.batches import Budget
from retail.common.clock import SHANGHAI, business_day, day_of, utcnow
from retail.common.database import database
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.orders.document import Order, orders_of
from retail.orders.wechat_payments import sub_order_owner
from retail.risk import record_risk_event
from retail.store import Db

from .bill_fees import keep_fees
from .client import WeChatPayClient
from .connect import wechatpay_client
from .fund_reconcile import Difference, fund_flow_differences
from .trade_bills import BillRow, fetch_trade_bill

READY_AT = timedelta(hours=10)  # 「微信支付在每日10点后生成昨日交易账单文件」
KEPT = timedelta(days=90)  # 「对账单接口只能下载三个月以内的账单」
CURSOR = "cursor"
CHUNK = 1000  # bill lines matched at a time, one query each side


class ReconcileBills(BaseModel):
    model_config = STRICT


class BillsReconciled(BaseModel):
    model_config = OUT
    days: list[str] = Field(description="the days whose bill was matched in this run")
    mismatches: int = Field(description="differences found, each a bill_mismatch risk event")
    waiting: str | None = Field(description="the day whose bill WeChat Pay has not given yet")


def reconcile_bills(
    _: ReconcileBills,
    *,
    budget: Budget,
    db: Db | None = None,
    client: WeChatPayClient | None = None,
) -> BillsReconciled:
    db = db if db is not None else database()
    client = client or wechatpay_client()
    now = utcnow()
    last = _last_bill_day(now)
    cursor = db.bill_days.find_one({"_id": CURSOR}) or {}
    if "next" not in cursor:  # the first run: its day is kept, so one that waits is not lost
        db.bill_days.update_one(
            {"_id": CURSOR, "next": None}, {"$set": {"next": last.isoformat()}}, upsert=True
        )
        cursor = db.bill_days.find_one({"_id": CURSOR}) or {"next": last.isoformat()}
    day = max(date.fromisoformat(cursor["next"]), day_of(now - KEPT))
    summary = BillsReconciled(days=[], mismatches=0, waiting=None)
    while day <= last and not budget.exhausted():
        try:
            found = reconcile_day(db, client, day)
        except UpstreamUnavailable as exc:
            log("bill_not_ready", "WARNING", day=day.isoformat(), reason=str(exc))
            summary.waiting = day.isoformat()
            break
        summary.days.append(day.isoformat())
        summary.mismatches += found
        day += timedelta(days=1)
        db.bill_days.update_one({"_id": CURSOR}, {"$set": {"next": day.isoformat()}}, upsert=True)
    return summary


def _last_bill_day(now: datetime) -> date:
    """The latest day whose bill WeChat Pay has made (yesterday after 10:00, Asia/Shanghai)."""
    local = now.astimezone(SHANGHAI)
    made = local - READY_AT
    return made.date() - timedelta(days=1)


def reconcile_day(db: Db, client: WeChatPayClient, day: date) -> int:
    """Match one day's bills, the trade bill's findings recorded before the fund-flow bill is
    asked (a day that waits for it is read again, finding the same); returns the differences
    found (each recorded once). A bill refused for good or that does not read is a difference
    of its own, and the other bill is matched all the same. Raises UpstreamUnavailable while
    WeChat Pay makes either."""
    found = _trade_bill_day(db, client, day)
    try:
        flows, fund_flow = fund_flow_differences(db, client, day)
    except ValueError as exc:  # refused for good, or a file that does not read
        flows, fund_flow = [("fund_flow_unreadable", day.isoformat(), {"reason": str(exc)})], {}
    _record(db, day, flows)
    db.bill_days.update_one(
        {"_id": day.isoformat()},
        {"$set": {"fund_flow": fund_flow}, "$inc": {"mismatches": len(flows)}},
        upsert=True,
    )
    log("fund_flow_reconciled", day=day.isoformat(), mismatches=len(flows))
    return found + len(flows)


def _trade_bill_day(db: Db, client: WeChatPayClient, day: date) -> int:
    """The trade bill matched a chunk of lines at a time (one query a chunk, however many
    lines), its findings recorded, the day's figures kept."""
    try:
        bill = fetch_trade_bill(client, day)
    except ValueError as exc:  # refused for good, or a file that does not read
        unreadable = [("bill_unreadable", day.isoformat(), {"reason": str(exc)})]
        _record(db, day, unreadable)
        db.bill_days.replace_one(
            {"_id": day.isoformat()},
            {"unreadable": str(exc), "mismatches": 1, "at": utcnow()},
            upsert=True,
        )
        return 1
    rows = bill.rows if bill is not None else []
    differences: list[Difference] = []
    differs = bill.summary_differs() if bill is not None else None
    if differs is not None:
        differences.append(("bill_summary_differs", day.isoformat(), differs))
    billed: set[str] = set()
    fees: dict[str, Decimal] = {}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        for row in chunk:
            if row.fee is not None:
                fees[row.sub_mchid] = fees.get(row.sub_mchid, Decimal(0)) + row.fee
        payments = [r for r in chunk if r.status != "REFUND"]
        billed.update(r.out_trade_no for r in payments)
        found = _payment_differences(db, payments)
        found += _refund_differences(db, [r for r in chunk if r.status == "REFUND"])
        keep_fees(db, day, chunk, {key for _, key, _ in found})
        differences += found
    differences += _missing_from_bill(db, day, billed)
    refunds_billed = {r.out_refund_no for r in rows if r.status == "REFUND"}
    differences += _refunds_missing_from_bill(db, day, refunds_billed)
    _record(db, day, differences)
    db.bill_days.replace_one(
        {"_id": day.isoformat()},
        {
            "rows": len(rows),
            "payments": sum(1 for r in rows if r.status != "REFUND"),
            "refunds": sum(1 for r in rows if r.status == "REFUND"),
            "mismatches": len(differences),
            "fees": {sub: f"{total:.5f}" for sub, total in sorted(fees.items())},
            "at": utcnow(),
        },
        upsert=True,
    )
    log("bill_reconciled", day=day.isoformat(), rows=len(rows), mismatches=len(differences))
    return len(differences)


def _record(db: Db, day: date, differences: list[Difference]) -> None:
    for kind, key, evidence in differences:
        _difference(db, day, kind, key, evidence)


def _difference(db: Db, day: date, kind: str, key: str, evidence: dict[str, Any]) -> None:
    record_risk_event(
        db,
        f"bill_mismatch:{day.isoformat()}:{kind}:{key}",
        "bill_mismatch",
        "flag",
        day=day.isoformat(),
        difference=kind,
        number=key,
        **evidence,
    )


def _order_id(row: BillRow) -> str:
    """Our order of a billed payment: its out_trade_no, a sub-order's `<order>S<n>`."""
    owner = sub_order_owner(row.out_trade_no) if row.sub_mchid != "0" else None
    return owner or row.out_trade_no


def _payment_differences(db: Db, rows: list[BillRow]) -> list[Difference]:
    """Each paid line: the order (or sub-order) it names, paid by this transaction for this
    amount; or a payment of it we never accepted and gave back (a refund record names that
    transaction, which is not the one the order was paid by)."""
    ids = sorted({_order_id(r) for r in rows})
    fields = {"total": 1, "transaction_id": 1, "sub_orders": 1, "sub_transactions": 1}
    orders = {o["_id"]: o for o in orders_of(db).find({"_id": {"$in": ids}}, fields)}
    refunded = {
        (r["order_id"], r.get("transaction_id"))
        for r in db.refunds.find({"order_id": {"$in": ids}}, {"order_id": 1, "transaction_id": 1})
    }
    differences = []
    for row in rows:
        order_id = _order_id(row)
        expected = _expected(orders.get(order_id), row)
        if expected == (row.transaction_id, row.amount):
            continue
        if expected[0] != row.transaction_id and (order_id, row.transaction_id) in refunded:
            continue  # a payment we never accepted, given back
        kind = "payment_unknown" if expected[1] is None else "payment_differs"
        evidence = {"transaction_id": row.transaction_id, "amount": row.amount}
        differences.append((kind, row.out_trade_no, {**evidence, "ours": list(expected)}))
    return differences


def _expected(order: Order | None, row: BillRow) -> tuple[str | None, int | None]:
    """(transaction, amount) the order says the line should show."""
    if order is None:
        return (None, None)
    if row.sub_mchid == "0":
        return (order.get("transaction_id"), order.get("total"))
    subs = order.get("sub_orders") or []
    sub = next((s for s in subs if s["out_trade_no"] == row.out_trade_no), None)
    paid = (order.get("sub_transactions") or {}).get(row.out_trade_no)
    return (paid, sub["amount"] if sub else None)


def _refund_differences(db: Db, rows: list[BillRow]) -> list[Difference]:
    numbers = sorted({r.out_refund_no for r in rows})
    fields = {"amount": 1, "out_trade_no": 1}
    records = {r["_id"]: r for r in db.refunds.find({"_id": {"$in": numbers}}, fields)}
    differences = []
    for row in rows:
        record = records.get(row.out_refund_no)
        if record is not None and (record["amount"], record["out_trade_no"]) == (
            row.refund,
            row.out_trade_no,
        ):
            continue
        kind = "refund_unknown" if record is None else "refund_differs"
        evidence = {"amount": row.refund, "out_trade_no": row.out_trade_no}
        differences.append((kind, row.out_refund_no, evidence))
    return differences


def _refunds_missing_from_bill(db: Db, day: date, billed: set[str]) -> list[Difference]:
    """Refunds WeChat Pay accepted from us that day that the bill does not have (「当天发起
    退款成功的退款单,退款发起成功就会出账」): recorded when sent (`sent_at`)."""
    start, end = business_day(day)
    sent = db.refunds.find(
        {"sent_at": {"$gte": start, "$lt": end}}, {"status": 1, "out_trade_no": 1, "amount": 1}
    )
    return [
        ("refund_missing", r["_id"], {"out_trade_no": r["out_trade_no"], "amount": r["amount"]})
        for r in sent
        if r["_id"] not in billed and r["status"] != "PENDING"
    ]


def _missing_from_bill(db: Db, day: date, billed: set[str]) -> list[Difference]:
    """Orders we marked paid that day that the bill does not have (WeChat Pay's day is
    Asia/Shanghai's, as ours)."""
    start, end = business_day(day)
    missing = []
    paid = orders_of(db).find(
        {"paid_at": {"$gte": start, "$lt": end}},
        {"sub_orders": 1, "out_trade_no": 1, "transaction_id": 1},
    )
    for order in paid:
        numbers = [s["out_trade_no"] for s in order.get("sub_orders") or []] or [
            order["out_trade_no"]
        ]
        for number in numbers:
            if number not in billed:
                missing.append(
                    ("payment_missing", number, {"transaction_id": order.get("transaction_id")})
                )
    return missing
