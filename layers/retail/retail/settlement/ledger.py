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
from operator import itemgetter
from typing import Any

from retail.common.clock import SHANGHAI, business_day, day_of
from retail.common.vocabulary import OrderStatus
from retail.orders import due_for_settlement, settled

from .claims import (
    LOOKBACK,
    claim_id,
    claim_line,
    closed_statements,
    final_claims,
    finalize,
    statement_id,
)


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


def ledgers_for(db: Any, day: date) -> tuple[dict[str, DayLedger], list[dict[str, Any]]]:
    """The ledger of every merchant whose statement for `day` is not written yet (merchants
    without activity get an empty one): the day's lines, and late lines of earlier days
    whose statements had closed without them, each claimed for this statement; and the
    orders read, which `settle_orders` may take out of the to-do set once written.

    Read: the orders in settlement's to-do set (orders.due_for_settlement), and the day's
    own orders still owing a line (`orders_of_the_day`)."""
    start, end = business_day(day)
    since = start - LOOKBACK
    closed = closed_statements(db, since)
    ledgers = {
        m["_id"]: DayLedger(m["_id"], m.get("commission_rate_bp", 0))
        for m in db.merchants.find({}, {"commission_rate_bp": 1})
        if statement_id(m["_id"], day) not in closed
    }
    orders = {o["_id"]: o for o in unsettled(db, orders_of_the_day(db, start, end))}
    orders.update({o["_id"]: o for o in due_for_settlement(db)})
    for kind, moment in (("sale", "completed_at"), ("refund", "refunded_at")):
        found = [
            o
            for o in orders.values()
            if since <= o.get(moment, end) < end and (kind == "sale" or "completed_at" in o)
        ]
        found.sort(key=itemgetter(moment, "_id"))
        for order in found:
            _add_order(db, ledgers, closed, day, kind, order, order[moment])
    for order in sorted(orders.values(), key=lambda o: o["_id"]):
        for merchant_id, at in _parcel_refunds(order):
            if since <= at < end:
                _add_order(db, ledgers, closed, day, "refund", order, at, merchant_id)
    return ledgers, list(orders.values())


def orders_of_the_day(db: Any, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Orders with a completion or refund in [start, end), by their own indexes, whether or not
    they are in the to-do set: a line written by code that does not keep the set (a rollback,
    a deploy half done, a store from before it) is still settled with its day. The cost is
    the day's own orders, never the history."""
    window = {"$gte": start, "$lt": end}
    found: dict[str, dict[str, Any]] = {}
    for moment in ("completed_at", "refunded_at", "parcel_refunded_at"):
        found.update({o["_id"]: o for o in db.orders.find({moment: window})})
    return list(found.values())


def unsettled(db: Any, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The orders owing a claim that is not final yet, found in bulk: a day settled again
    re-reads no line one by one."""
    claims = final_claims(db, sorted({key for order in orders for key in _claims_owed(order)}))
    return [
        order
        for order in orders
        if not all(claims.get(key, {}).get("final") for key in _claims_owed(order))
    ]


def _parcel_refunds(order: dict[str, Any]) -> list[tuple[str, datetime]]:
    """A parcel refunded (orders.parcel_refunds) is its merchant's refund on the day the
    money arrived, or the day the order completed if that came later (before completion
    there was no sale to take back); under the same claim as a whole-order refund, so a
    merchant's lines go back once whichever comes first."""
    if "completed_at" not in order:
        return []
    return [
        (merchant_id, max(parcel["refunded_at"], order["completed_at"]))
        for merchant_id, parcel in sorted((order.get("parcel_refunds") or {}).items())
        if parcel["status"] == OrderStatus.REFUNDED
    ]


def settle_orders(db: Any, orders: list[dict[str, Any]], end: datetime) -> int:
    """Take out of the to-do set each order read whose every line owed before `end` is in a
    written statement (its claims final), and nothing happened to it since; a claim held by
    a statement written without marking it (a crash) is finalized here first. Returns the
    orders taken out."""
    owed = {
        order["_id"]: _claims_owed(order)
        for order in orders
        if "settlement_due" in order and order["settlement_due"] < end
    }
    claims = final_claims(db, sorted({key for keys in owed.values() for key in keys}))
    unmarked = {c["statement_id"] for c in claims.values() if not c.get("final")}
    for statement in sorted(unmarked):
        finalize(db, statement)
    if unmarked:
        claims = final_claims(db, sorted({key for keys in owed.values() for key in keys}))
    taken = 0
    for order in orders:
        keys = owed.get(order["_id"])
        if keys is not None and all(claims.get(key, {}).get("final") for key in keys):
            taken += settled(db, order["_id"], order["settlement_due"])
    return taken


def _claims_owed(order: dict[str, Any]) -> list[str]:
    """The claims of every statement line the order owes: its sale per merchant once it
    completed, and the refund of each merchant's lines once refunded (whole or by parcel)."""
    if "completed_at" not in order:
        return []
    merchants = sorted({line["merchant_id"] for line in order["lines"]})
    keys = [claim_id("sale", order["_id"], m) for m in merchants]
    refunded = merchants if "refunded_at" in order else [m for m, _ in _parcel_refunds(order)]
    keys += [claim_id("refund", order["_id"], m) for m in refunded]
    return keys


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
