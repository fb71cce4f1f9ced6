"""What a merchant earned on a business day (Asia/Shanghai), from the orders themselves.

A line counts on the day its order completed: gross = the line's amount (coupons, points and
member discounts are the platform's to fund), commission = gross x the merchant's rate in
basis points, rounded half up to the fen, per line. An order refunded after it completed is
taken back on the day the refund succeeded, so a closed statement is never rewritten: the
next one carries the adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from retail.common.clock import SHANGHAI, business_day


def commission_on(amount: int, rate_bp: int) -> int:
    return (amount * rate_bp + 5_000) // 10_000


@dataclass
class DayLedger:
    merchant_id: str
    rate_bp: int
    gross: int = 0
    commission: int = 0
    refunded: int = 0
    refunded_commission: int = 0
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def net(self) -> int:
        return self.gross - self.commission - (self.refunded - self.refunded_commission)

    def add(self, kind: str, order: dict[str, Any], line: dict[str, Any], at: datetime) -> None:
        fee = commission_on(line["amount"], self.rate_bp)
        if kind == "sale":
            self.gross, self.commission = self.gross + line["amount"], self.commission + fee
        else:
            self.refunded += line["amount"]
            self.refunded_commission += fee
        sign = 1 if kind == "sale" else -1
        self.rows.append(
            [
                kind,
                order["_id"],
                line["sku_id"],
                line["title"],
                line["qty"],
                sign * line["amount"],
                sign * fee,
                at.astimezone(SHANGHAI).isoformat(),
            ]
        )


def ledgers_for(db: Any, day: date) -> dict[str, DayLedger]:
    """Every merchant's ledger for `day` (merchants without activity get an empty one)."""
    start, end = business_day(day)
    ledgers = {
        m["_id"]: DayLedger(m["_id"], m.get("commission_rate_bp", 0))
        for m in db.merchants.find({}, {"commission_rate_bp": 1})
    }
    window = {"$gte": start, "$lt": end}
    for order in db.orders.find({"completed_at": window}, sort=[("completed_at", 1), ("_id", 1)]):
        for line in order["lines"]:
            if line["merchant_id"] in ledgers:
                ledgers[line["merchant_id"]].add("sale", order, line, order["completed_at"])
    refunded = {"refunded_at": window, "completed_at": {"$exists": True}}
    for order in db.orders.find(refunded, sort=[("refunded_at", 1), ("_id", 1)]):
        for line in order["lines"]:
            if line["merchant_id"] in ledgers:
                ledgers[line["merchant_id"]].add("refund", order, line, order["refunded_at"])
    return ledgers
