"""commission_report: what the platform paid each promoter in a quarter, for its report of
earners' identity and income to the tax authority (互联网平台企业涉税信息报送规定, State Council
Decree 810, in force 2025-06-20; facts in docs/decisions/0023). A quarter is reported only once
it has ended (Asia/Shanghai): nothing paid late is left out of a closed one.

One row per promoter: the platform account, the real name WeChat Pay was given (masked: the
platform's own identity records complete the report), the
number and total of withdrawals WeChat Pay paid in the quarter (its notification or query said
SUCCESS then), and what was reversed after payout (debt raised) in the quarter. Written as CSV
to object storage; the answer carries a download link.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, datetime

from pydantic import BaseModel, Field

from retail.adapters import object_storage
from retail.common.clock import business_day, utcnow
from retail.common.database import database
from retail.common.errors import InvalidArgument, Reason, UpstreamUnavailable, error_fields
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator, Role
from retail.store import Db

QUARTER = r"^20[2-9][0-9]Q[1-4]$"


class CommissionReport(BaseModel):
    model_config = STRICT
    quarter: str = Field(pattern=QUARTER, description="e.g. 2026Q3")


class CommissionReportFile(BaseModel):
    model_config = OUT
    quarter: str
    promoters: int
    paid_fen: int
    key: str | None = Field(None, description="none when nothing was paid or taken back")
    download: str | None = None


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar quarter in Asia/Shanghai, as UTC instants."""
    match = re.match(r"^(\d{4})Q([1-4])$", quarter)
    if match is None:
        raise InvalidArgument(f"not a quarter: {quarter!r}")
    year, q = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return business_day(first)[0], business_day(after)[0]


def commission_report(
    cmd: CommissionReport, *, operator: Operator, db: Db | None = None
) -> CommissionReportFile:
    """admin. Raises InvalidArgument (DAY_NOT_ENDED) for a quarter not over, and
    UpstreamUnavailable when object storage does not take the file."""
    operator.require(Role.ADMIN, what="export promoters' income")
    db = db if db is not None else database()
    start, end = quarter_bounds(cmd.quarter)
    if utcnow() < end:
        raise InvalidArgument(
            f"{cmd.quarter} has not ended", reason=Reason.DAY_NOT_ENDED, ends_at=end.isoformat()
        )
    paid, names = _paid(db, start, end)
    taken_back = _taken_back(db, start, end)
    promoters = sorted(set(paid) | set(taken_back))
    total = sum(sum(v) for v in paid.values())
    if not promoters:
        return CommissionReportFile(quarter=cmd.quarter, promoters=0, paid_fen=0, key=None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for openid in promoters:
        amounts = paid.get(openid, [])
        writer.writerow(
            [
                cmd.quarter,
                openid,
                names.get(openid, ""),
                len(amounts),
                _yuan(sum(amounts)),
                _yuan(taken_back.get(openid, 0)),
            ]
        )
    key = f"reports/commissions/commission_income_{cmd.quarter}.csv"
    try:
        object_storage.put_text(key, out.getvalue(), file_name=key.rsplit("/", 1)[-1])
        link = object_storage.download_link(key)
    except Exception as exc:  # noqa: BLE001 - object storage down or not configured
        log("commission_report_not_stored", "ERROR", **error_fields(exc))
        raise UpstreamUnavailable("the report could not be stored; try again") from None
    return CommissionReportFile(
        quarter=cmd.quarter, promoters=len(promoters), paid_fen=total, key=key, download=link
    )


HEADER = [
    "quarter",
    "platform_account",
    "payee_name_masked",
    "payments",
    "paid_yuan",
    "taken_back_after_release_yuan",
]


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def _paid(db: Db, start: datetime, end: datetime) -> tuple[dict[str, list[int]], dict[str, str]]:
    """What WeChat Pay paid each promoter in [start, end), and the masked payee names."""
    paid: dict[str, list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    for w in db.withdrawals.find({"state": "WITHDRAWN", "ended_at": {"$gte": start, "$lt": end}}):
        paid[w["openid"]].append(int(w["amount"]))
        if w.get("payee"):
            names[w["openid"]] = w["payee"]
    return paid, names


def _taken_back(db: Db, start: datetime, end: datetime) -> dict[str, int]:
    """What was taken back from each promoter in [start, end) after release: commissions
    reversed, and parcels' shares cut (the money may have left already)."""
    window = {"$gte": start, "$lt": end}
    taken: dict[str, int] = defaultdict(int)
    for entry in db.commissions.find({"status": "REVERSED", "reversed_at": window}):
        if entry.get("released_at"):
            taken[entry["inviter"]] += int(entry["amount"])
    for entry in db.commissions.find({"cuts_after_release.at": window}):
        for cut in entry.get("cuts_after_release") or []:
            if start <= cut["at"] < end:
                taken[entry["inviter"]] += int(cut["amount"])
    return taken
