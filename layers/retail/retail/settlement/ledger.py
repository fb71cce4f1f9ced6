"""What a merchant earned on a business day (Asia/Shanghai), from the orders themselves.

A line counts on the day its order completed: gross = the line's amount (coupons, points and
member discounts are the platform's to fund), commission = gross x the merchant's rate in
basis points, rounded half up to the fen, per line. An order refunded after it completed is
taken back on the day the refund succeeded, so a closed statement is never rewritten: the
next one carries the adjustment. A line that completes (or is refunded) on a day whose
statement already closed, a late write or a skewed clock, goes into the next statement as a
late line (`late_sale`, `late_refund`); every line is claimed by exactly one statement
(settlement.claims).

Settlement reads the orders in its to-do set (orders.settling), a page at a time: what a run
costs is what is left to settle, never the history, and no run holds more than a page of
orders and a chunk of lines per merchant. A day too big for one invocation is counted over
several (settlement.progress).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from retail.common.batches import Budget
from retail.common.clock import SHANGHAI, business_day, day_of
from retail.common.faults import fault_point
from retail.common.vocabulary import OrderStatus
from retail.orders import due_for_settlement, put_in_settlement, settled
from retail.store import Db

from .claims import LOOKBACK, claim_id, claim_lines, closed_statements, final_claims, statement_id
from .closing import finished_days
from .lines import LineWriter
from .progress import DayRun, keep

PAGE = 500  # orders read at a time
SAVE_EVERY = 10  # pages counted between saves: what an invocation that dies loses


def commission_on(amount: int, rate_bp: int) -> int:
    return (amount * rate_bp + 5_000) // 10_000


@dataclass
class DayLedger:
    merchant_id: str
    rate_bp: int
    lines: LineWriter
    gross: int = 0
    commission: int = 0
    refunded: int = 0
    refunded_commission: int = 0

    @classmethod
    def resume(cls, db: Db, held: DayRun, merchant_id: str) -> DayLedger:
        """The merchant's ledger as far as the day's run has counted it."""
        state = held.merchants[merchant_id]
        writer = LineWriter(
            db, statement_id(merchant_id, held.day), held.run, state["chunks"], state["lines"]
        )
        return cls(
            merchant_id,
            state["rate_bp"],
            writer,
            state["gross"],
            state["commission"],
            state["refunded"],
            state["refunded_commission"],
        )

    def state(self) -> dict[str, Any]:
        """What the day's run saves (settlement.progress); the lines written so far."""
        self.lines.flush()
        return {
            "rate_bp": self.rate_bp,
            "gross": self.gross,
            "commission": self.commission,
            "refunded": self.refunded,
            "refunded_commission": self.refunded_commission,
            "lines": self.lines.count,
            "chunks": self.lines.chunks,
        }

    @property
    def net(self) -> int:
        return self.gross - self.commission - (self.refunded - self.refunded_commission)

    def add(self, share: Share) -> None:
        """The merchant's lines of one order, as a sale or a refund, under one claim."""
        sale = share.kind.endswith("sale")
        sign = 1 if sale else -1
        rows = []
        for line in share.order["lines"]:
            if line["merchant_id"] != self.merchant_id:
                continue
            fee = commission_on(line["amount"], self.rate_bp)
            if sale:
                self.gross, self.commission = self.gross + line["amount"], self.commission + fee
            else:
                self.refunded += line["amount"]
                self.refunded_commission += fee
            rows.append(
                [
                    share.kind,
                    share.order["_id"],
                    line["sku_id"],
                    line["title"],
                    line["qty"],
                    sign * line["amount"],
                    sign * fee,
                    share.at.astimezone(SHANGHAI).isoformat(),
                ]
            )
        self.lines.add(rows, share.claim)


class Share(NamedTuple):
    """One merchant's part of an order that a statement of `day` carries."""

    kind: str  # sale, refund, late_sale, late_refund
    at: datetime
    order: Mapping[str, Any]
    merchant_id: str

    @property
    def claim(self) -> str:
        return claim_id(self.kind.removeprefix("late_"), self.order["_id"], self.merchant_id)


@dataclass
class Window:
    """The statements of `day` that `run` counts: lines of [since, end), an earlier day's
    only as a late line, once that day's statement of the merchant is written or the day is
    finished without one (a merchant that had none: added since, say)."""

    day: date
    since: datetime
    end: datetime
    run: str
    closed: set[str] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)  # days every statement of is written


def count_day(db: Db, held: DayRun, budget: Budget, lease: timedelta) -> bool:
    """Count the day's run on from where it got: each order of the to-do set, page by page,
    its merchants' lines claimed for their statements of the day and written (late lines of
    earlier days whose statements closed without them too), saved every SAVE_EVERY pages.
    True once every order is counted; False if the budget ran out first (saved: the next
    invocation goes on) or another invocation took the day."""
    start, end = business_day(held.day)
    since = start - LOOKBACK
    window = Window(
        held.day, since, end, held.run, closed_statements(db, since), finished_days(db, since)
    )
    ledgers = {m: DayLedger.resume(db, held, m) for m in held.merchants}
    if not held.brought_in:
        bring_in_the_day(db, start, end)
        held.brought_in = True
    pages = 0
    while page := due_for_settlement(db, held.after, PAGE):
        _count_page(db, ledgers, window, page)
        fault_point("settlement:after_page")  # claims in, lines not saved
        held.after, pages = page[-1]["_id"], pages + 1
        saving = pages % SAVE_EVERY == 0 or budget.exhausted()
        if saving and (not _save(db, held, ledgers, lease) or budget.exhausted()):
            return False
    held.counted = True
    return _save(db, held, ledgers, lease)


def _save(db: Db, held: DayRun, ledgers: dict[str, DayLedger], lease: timedelta) -> bool:
    held.merchants = {m: ledger.state() for m, ledger in ledgers.items()}
    return keep(db, held, lease)


def ledgers_of(db: Db, held: DayRun) -> list[DayLedger]:
    """The day's ledgers once the run has counted every order, by merchant."""
    return [DayLedger.resume(db, held, m) for m in sorted(held.merchants)]


def _count_page(
    db: Db, ledgers: dict[str, DayLedger], window: Window, page: Sequence[Mapping[str, Any]]
) -> None:
    shares: dict[str, Share] = {}  # by claim: a merchant's lines go back once per order
    for order in page:
        for share in _shares(order, window):
            if share.merchant_id in ledgers:
                shares.setdefault(share.claim, share)
    by_statement: dict[str, list[str]] = {}
    for key, share in shares.items():
        by_statement.setdefault(share.merchant_id, []).append(key)
    claimed: set[str] = set()
    for merchant_id, keys in sorted(by_statement.items()):
        claimed |= claim_lines(db, statement_id(merchant_id, window.day), window.run, keys)
    for key, share in sorted(shares.items(), key=lambda item: _row_order(item[1])):
        if key in claimed:
            ledgers[share.merchant_id].add(share)


def _row_order(share: Share) -> tuple[bool, datetime, str, str]:
    return (not share.kind.endswith("sale"), share.at, share.order["_id"], share.merchant_id)


def _shares(order: Mapping[str, Any], window: Window) -> list[Share]:
    """Each merchant's sale and refund of the order that fall in the window: a refund of the
    whole order before one of its parcel."""
    if "completed_at" not in order:
        return []
    merchants = sorted({line["merchant_id"] for line in order["lines"]})
    moments = [("sale", m, order["completed_at"]) for m in merchants]
    if "refunded_at" in order:
        moments += [("refund", m, order["refunded_at"]) for m in merchants]
    moments += [("refund", m, at) for m, at in _parcel_refunds(order)]
    found = []
    for kind, merchant_id, at in moments:
        if not window.since <= at < window.end:
            continue
        own_day = day_of(at)
        if own_day < window.day:
            own = statement_id(merchant_id, own_day)
            if own not in window.closed and own_day.isoformat() not in window.finished:
                continue  # its own day's statement has not run yet: it will carry the line
            kind = f"late_{kind}"
        found.append(Share(kind, at, order, merchant_id))
    return found


def bring_in_the_day(db: Db, start: datetime, end: datetime) -> int:
    """Orders with a completion or refund in [start, end) that owe a claim not final yet but
    are not in the to-do set go in: a line written by code that does not keep the set is
    still settled with its day. The cost is the day's own orders, never the history."""
    window = {"$gte": start, "$lt": end}
    fields = {"lines.merchant_id": 1, "completed_at": 1, "refunded_at": 1, "parcel_refunds": 1}
    outside: dict[str, dict[str, Any]] = {}
    for moment in ("completed_at", "refunded_at", "parcel_refunded_at"):
        for order in db.orders.find({moment: window}, {**fields, "settlement_due": 1}):
            if "settlement_due" not in order:
                outside[order["_id"]] = order
    orders = list(outside.values())
    final = final_claims(db, sorted({key for order in orders for key in _claims_owed(order)}))
    return put_in_settlement(
        db,
        [
            (order["_id"], max(_moments(order)))
            for order in orders
            if not final.issuperset(_claims_owed(order))
        ],
    )


def _moments(order: dict[str, Any]) -> list[datetime]:
    parcels = [p["refunded_at"] for p in (order.get("parcel_refunds") or {}).values()]
    return [order[m] for m in ("completed_at", "refunded_at") if m in order] + parcels


def _parcel_refunds(order: Mapping[str, Any]) -> list[tuple[str, datetime]]:
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


def settle_orders(db: Db, end: datetime, budget: Budget) -> int:
    """Take out of the to-do set each order whose every line owed before `end` is in a
    written statement (its claims final), and nothing happened to it since, until the budget
    runs out (the next run's pass takes the rest). Returns the orders taken out."""
    taken, after = 0, ""
    while not budget.exhausted() and (page := due_for_settlement(db, after, PAGE)):
        after = page[-1]["_id"]
        owed = {o["_id"]: _claims_owed(o) for o in page if o["settlement_due"] < end}
        final = final_claims(db, sorted({key for keys in owed.values() for key in keys}))
        done = [
            (order["_id"], order["settlement_due"])
            for order in page
            if order["_id"] in owed and final.issuperset(owed[order["_id"]])
        ]
        taken += settled(db, done)
    return taken


def _claims_owed(order: Mapping[str, Any]) -> list[str]:
    """The claims of every statement line the order owes: its sale per merchant once it
    completed, and the refund of each merchant's lines once refunded (whole or by parcel)."""
    if "completed_at" not in order:
        return []
    merchants = sorted({line["merchant_id"] for line in order["lines"]})
    keys = [claim_id("sale", order["_id"], m) for m in merchants]
    refunded = merchants if "refunded_at" in order else [m for m, _ in _parcel_refunds(order)]
    keys += [claim_id("refund", order["_id"], m) for m in refunded]
    return keys
