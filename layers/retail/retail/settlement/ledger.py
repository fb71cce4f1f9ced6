"""What a merchant earned on a business day (Asia/Shanghai), from the orders themselves.

A line counts on the day its order completed: gross = the line's amount (coupons, points and
member discounts are the platform's to fund), commission = gross x the merchant's rate in
basis points, rounded half up to the fen, per line. An order refunded after it completed is
taken back on the day the refund succeeded, so a closed statement is never rewritten: the
next one carries the adjustment. A line that completes (or is refunded) on a day whose
statement already closed, a late write or a skewed clock, goes into the next statement as a
late line (`late_sale`, `late_refund`); every line is claimed by exactly one statement
(settlement.claims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from retail.common.clock import SHANGHAI, business_day, day_of
from retail.common.vocabulary import OrderStatus

from .claims import LOOKBACK, claim_id, claim_line, closed_statements, statement_id


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
    claims: list[str] = field(default_factory=list)

    @property
    def net(self) -> int:
        return self.gross - self.commission - (self.refunded - self.refunded_commission)

    def add(self, kind: str, order: dict[str, Any], line: dict[str, Any], at: datetime) -> None:
        fee = commission_on(line["amount"], self.rate_bp)
        sale = kind.endswith("sale")
        if sale:
            self.gross, self.commission = self.gross + line["amount"], self.commission + fee
        else:
            self.refunded += line["amount"]
            self.refunded_commission += fee
        sign = 1 if sale else -1
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
    """The ledger of every merchant whose statement for `day` is not written yet (merchants
    without activity get an empty one): the day's lines, and late lines of earlier days
    whose statements had closed without them. Each line is claimed for this statement."""
    start, end = business_day(day)
    closed = closed_statements(db, start - LOOKBACK)
    ledgers = {
        m["_id"]: DayLedger(m["_id"], m.get("commission_rate_bp", 0))
        for m in db.merchants.find({}, {"commission_rate_bp": 1})
        if statement_id(m["_id"], day) not in closed
    }
    for kind, moment in (("sale", "completed_at"), ("refund", "refunded_at")):
        query: dict[str, Any] = {moment: {"$gte": start - LOOKBACK, "$lt": end}}
        if kind == "refund":
            query["completed_at"] = {"$exists": True}
        for order in db.orders.find(query, sort=[(moment, 1), ("_id", 1)]):
            _add_order(db, ledgers, closed, day, kind, order, order[moment])
    _add_parcel_refunds(db, ledgers, closed, day, start - LOOKBACK, end)
    return ledgers


def _add_parcel_refunds(
    db: Any,
    ledgers: dict[str, DayLedger],
    closed: set[str],
    day: date,
    since: datetime,
    end: datetime,
) -> None:
    """A parcel refunded (orders.parcel_refunds) is its merchant's refund on the day the
    money arrived, or the day the order completed if that came later (before completion
    there was no sale to take back); under the same claim as a whole-order refund, so a
    merchant's lines go back once whichever comes first."""
    window = {"$gte": since, "$lt": end}
    query = {
        "completed_at": {"$exists": True},
        "$or": [{"parcel_refunded_at": window}, {"completed_at": window}],
        "parcel_refunded_at": {"$exists": True},
    }
    for order in db.orders.find(query, sort=[("_id", 1)]):
        for merchant_id, parcel in sorted(order["parcel_refunds"].items()):
            if parcel["status"] != OrderStatus.REFUNDED:
                continue
            at = max(parcel["refunded_at"], order["completed_at"])
            if since <= at < end:
                _add_order(db, ledgers, closed, day, "refund", order, at, merchant_id)


def _add_order(
    db: Any,
    ledgers: dict[str, DayLedger],
    closed: set[str],
    day: date,
    kind: str,
    order: dict[str, Any],
    at: datetime,
    only: str | None = None,
) -> None:
    own_day = day_of(at)
    late = own_day < day
    for merchant_id in sorted({line["merchant_id"] for line in order["lines"]}):
        if merchant_id not in ledgers or only not in (None, merchant_id):
            continue
        if late and statement_id(merchant_id, own_day) not in closed:
            continue  # its own day's statement has not run yet: it will carry the line
        if not claim_line(db, kind, order["_id"], merchant_id, statement_id(merchant_id, day)):
            continue  # already in another statement
        for line in order["lines"]:
            if line["merchant_id"] == merchant_id:
                ledgers[merchant_id].add(f"late_{kind}" if late else kind, order, line, at)
        ledgers[merchant_id].claims.append(claim_id(kind, order["_id"], merchant_id))
