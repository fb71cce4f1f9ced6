"""Timer settlement_run and the operators' statement list.

Each (merchant, day) statement is inserted once under its natural id and never rewritten;
a run after a crash writes only what is missing and exports any CSV not yet in COS, so two
runs, or a run after a crash, leave exactly what one clean run would.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pymongo.errors import DuplicateKeyError

from retail.adapters import object_storage
from retail.common.batches import BatchRequest, BatchSummary
from retail.common.clock import business_day, utcnow
from retail.common.database import database
from retail.common.errors import error_fields
from retail.common.faults import fault_point
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.scope import ALL, merchant_scope

from .claims import finalize, statement_id
from .closing import day_finished, days_to_settle
from .ledger import DayLedger, ledgers_for, settle_orders
from .lines import statement_rows

CSV_HEADER = ["kind", "order_id", "sku_id", "title", "qty", "amount_fen", "commission_fen", "at"]


class SettleDay(BatchRequest):
    model_config = ConfigDict(extra="forbid", strict=False, defer_build=True)  # day as text
    day: date | None = Field(None, description="business day (Asia/Shanghai); default yesterday")


class SettlementSummary(BatchSummary):
    day: date = Field(description="the latest day settled")
    days: list[date] = Field(
        default_factory=list, description="every day this run settled, oldest first"
    )
    statements_written: int = 0
    csv_exported: int = 0
    export_failed: int = Field(
        default=0, description="CSVs not exported (in failed too); retried next run"
    )


def run_settlement(cmd: SettleDay, *, db: Any = None) -> SettlementSummary:
    """Raises InvalidArgument (reason DAY_NOT_ENDED) for a day not over plus the grace."""
    db = db if db is not None else database()
    days = days_to_settle(db, cmd.day)
    summary = SettlementSummary(day=days[-1], days=days)
    for day in days:
        _settle_day(db, day, summary)
    return summary


def _settle_day(db: Any, day: date, summary: SettlementSummary) -> None:
    ledgers = ledgers_for(db, day)
    for _, ledger in sorted(ledgers.items()):
        if _write_statement(db, day, ledger):
            summary.statements_written += 1
            fault_point(f"settlement:after_statement_{summary.statements_written}")
        finalize(db, statement_id(ledger.merchant_id, day))
        summary.processed += 1
    day_finished(db, day)
    settle_orders(db, business_day(day)[1])
    for statement in db.statements.find({"day": day.isoformat(), "csv_key": None}):
        exported = _export(db, statement)
        summary.csv_exported += exported
        summary.export_failed += 1 - exported
        summary.failed += 1 - exported


def _write_statement(db: Any, day: date, ledger: DayLedger) -> bool:
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
                "run": ledger.lines.run,  # its claims are final (settlement.claims)
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


def _export(db: Any, statement: dict[str, Any]) -> int:
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


def list_statements(cmd: ListStatements, *, operator: Any, db: Any = None) -> StatementPage:
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
