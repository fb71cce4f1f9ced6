"""Timer settlement_run and the operators' statement list.

Each (merchant, day) statement is inserted once under its natural id and never rewritten;
a run after a crash writes only what is missing and exports any CSV not yet in COS, so two
runs, or a run after a crash, leave exactly what one clean run would.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo.errors import DuplicateKeyError

from retail.adapters import object_storage
from retail.common.batches import BatchRequest, BatchSummary, Budget
from retail.common.clock import business_day, utcnow
from retail.common.database import database
from retail.common.errors import error_fields
from retail.common.faults import fault_point
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator
from retail.common.scope import ALL, merchant_scope
from retail.store import Db

from .claims import LOOKBACK, closed_statements, finalize, statement_id
from .closing import day_finished, day_is_finished, days_to_settle
from .ledger import DayLedger, count_day, ledgers_of, settle_orders
from .lines import statement_rows
from .progress import finish_run, let_go, take_day

# How long past its budget a day stays held by an invocation that died without saying so.
LEASE_MARGIN = timedelta(seconds=30)

CSV_HEADER = ["kind", "order_id", "sku_id", "title", "qty", "amount_fen", "commission_fen", "at"]


class SettleDay(BatchRequest):
    model_config = ConfigDict(extra="forbid", strict=False, defer_build=True)  # day as text
    day: date | None = Field(None, description="business day (Asia/Shanghai); default yesterday")


class SettlementSummary(BatchSummary):
    day: date = Field(description="the latest day settled")
    days: list[date] = Field(
        default_factory=list,
        description="the days this run took up, oldest first (all settled unless stopped_early)",
    )
    statements_written: int = 0
    csv_exported: int = 0
    export_failed: int = Field(
        default=0, description="CSVs not exported (in failed too); retried next run"
    )


def run_settlement(
    cmd: SettleDay, *, budget: Budget | None = None, db: Db | None = None
) -> SettlementSummary:
    """Settle the days due, oldest first, within the budget: a day too big for it is saved
    where it got (settlement.progress) and the answer says so (`stopped_early`,
    `next_cursor`); the next run goes on from there. Raises InvalidArgument (reason
    DAY_NOT_ENDED) for a day not over plus the grace."""
    db = db if db is not None else database()
    budget = budget if budget is not None else Budget.from_limit(None)
    lease = timedelta(seconds=budget.seconds) + LEASE_MARGIN
    days = days_to_settle(db, cmd.day)
    summary = SettlementSummary(day=days[-1], days=days)
    settled_through = None
    for day in days:
        if not _settle_day(db, day, summary, budget, lease):
            summary.stopped_early = True
            break
        settled_through = day
    if settled_through is not None:
        settle_orders(db, business_day(settled_through)[1], budget)
    _export_waiting(db, days[0], summary, budget)
    return summary


def _settle_day(
    db: Db, day: date, summary: SettlementSummary, budget: Budget, lease: timedelta
) -> bool:
    """Count, write and finalize the day's statements; False if the run stopped first."""
    if day_is_finished(db, day):
        return True
    closed = closed_statements(db, business_day(day)[0] - LOOKBACK)
    rates = {
        m["_id"]: m.get("commission_rate_bp", 0)
        for m in db.merchants.find({}, {"commission_rate_bp": 1})
        if statement_id(m["_id"], day) not in closed
    }
    held = take_day(db, day, rates, lease)
    if held is None:  # another invocation is settling it
        summary.skipped += 1
        return False
    if not held.counted and not count_day(db, held, budget, lease):
        let_go(db, held)
        summary.next_cursor = f"{day.isoformat()}:{held.after}"
        return False
    for ledger in ledgers_of(db, held):
        if _write_statement(db, day, held.run, ledger):
            summary.statements_written += 1
            fault_point(f"settlement:after_statement_{summary.statements_written}")
        finalize(db, statement_id(ledger.merchant_id, day))
        summary.processed += 1
    day_finished(db, day)
    finish_run(db, held)
    return True


def _export_waiting(db: Db, first: date, summary: SettlementSummary, budget: Budget) -> None:
    """Export every statement of the days settled whose CSV is not in COS yet (COS was down
    on an earlier run), while the budget lasts."""
    waiting = db.statements.find({"day": {"$gte": first.isoformat()}, "csv_key": None})
    for statement in waiting:
        if budget.exhausted():
            summary.stopped_early = True
            return
        exported = _export(db, statement)
        summary.csv_exported += exported
        summary.export_failed += 1 - exported
        summary.failed += 1 - exported


def _write_statement(db: Db, day: date, run: str, ledger: DayLedger) -> bool:
    try:
        db.statements.insert_one(
            {
                "_id": f"{ledger.merchant_id}:{day.isoformat()}",
                "merchant_id": ledger.merchant_id,
                "day": day.isoformat(),
                "commission_rate_bp": ledger.rate_bp,
                "gross": ledger.gross,
                "commission": ledger.commission,
                "refunded": ledger.refunded,
                "refunded_commission": ledger.refunded_commission,
                "net": ledger.net,
                "run": run,  # its claims are final (settlement.claims)
                "lines": ledger.lines.count,
                "chunks": ledger.lines.chunks,  # settlement.lines: the rows, with their claims
                "csv_key": None,
                "status": "CLOSED",
                "created_at": utcnow(),
            }
        )
    except DuplicateKeyError:  # closed already (by a concurrent run): never rewritten
        return False
    log("statement_closed", merchant_id=ledger.merchant_id, day=day.isoformat(), net=ledger.net)
    return True


# Text a spreadsheet would run as a formula (OWASP, CSV injection): =, +, -, @, tab, CR.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"  # so Excel on a Chinese Windows reads UTF-8, not GBK


def _cell(value: Any) -> Any:
    """A text cell that a spreadsheet would evaluate starts with a quote, as OWASP's
    CSV-injection guidance says; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def statement_csv(statement: dict[str, Any], rows: Iterable[list[Any]]) -> str:
    """The statement with its rows (settlement.lines.statement_rows) as the CSV a merchant
    opens in a spreadsheet: UTF-8 with a byte-order mark, no cell that runs as a formula."""
    out = io.StringIO()
    out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows([_cell(value) for value in row] for row in rows)
    writer.writerow(
        [
            "total",
            "",
            "",
            "",
            "",
            statement["gross"] - statement["refunded"],
            statement["commission"] - statement["refunded_commission"],
            "",
        ]
    )
    writer.writerow(["net_payable_fen", "", "", "", "", statement["net"], "", ""])
    return out.getvalue()


def statement_file_name(statement: dict[str, Any]) -> str:
    """Which merchant and day, in the name a download is saved under."""
    return f"statement_{statement['merchant_id']}_{statement['day']}.csv"


def _export(db: Db, statement: dict[str, Any]) -> int:
    name = statement_file_name(statement)
    key = f"statements/{statement['merchant_id']}/{name}"
    try:
        text = statement_csv(statement, statement_rows(db, statement))
        object_storage.put_text(key, text, file_name=name)
    except Exception as exc:  # noqa: BLE001 - COS may be down; the next run exports it
        log(
            "statement_export_failed",
            "WARNING",
            statement=statement["_id"],
            **error_fields(exc),
        )
        return 0
    db.statements.update_one({"_id": statement["_id"], "csv_key": None}, {"$set": {"csv_key": key}})
    return 1


class ListStatements(BaseModel):
    model_config = STRICT
    merchant_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")
    limit: int = Field(30, ge=1, le=366)


class StatementPage(BaseModel):
    model_config = OUT
    statements: list[dict[str, Any]]


def list_statements(
    cmd: ListStatements, *, operator: Operator, db: Db | None = None
) -> StatementPage:
    """admin: any merchant's; merchant:<id>: only its own. Raises Forbidden."""
    db = db if db is not None else database()
    merchant_id = merchant_scope(operator, cmd.merchant_id, "statements")
    query = {} if merchant_id == ALL else {"merchant_id": merchant_id}
    found = list(
        db.statements.find(
            query,
            {"rows": 0, "claims": 0, "chunks": 0},
            sort=[("day", -1), ("_id", 1)],
            limit=cmd.limit,
        )
    )
    merchants = {s["merchant_id"] for s in found}
    names = {
        m["_id"]: m["name"]
        for m in db.merchants.find({"_id": {"$in": sorted(merchants)}}, {"name": 1})
    }
    return StatementPage(
        statements=[
            {
                **{k: v for k, v in s.items() if k != "_id"},
                "statement_id": s["_id"],
                "merchant_name": names.get(s["merchant_id"], s["merchant_id"]),
                "download": object_storage.download_link(s["csv_key"])
                if s.get("csv_key")
                else None,
            }
            for s in found
        ]
    )
