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
from retail.common.errors import InvalidArgument, Reason
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
    key: str
    download: str


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
    """admin. Raises InvalidArgument (DAY_NOT_ENDED) for a quarter not over."""
    operator.require(Role.ADMIN, what="export promoters' income")
    db = db if db is not None else database()
    start, end = quarter_bounds(cmd.quarter)
    if utcnow() < end:
        raise InvalidArgument(
            f"{cmd.quarter} has not ended", reason=Reason.DAY_NOT_ENDED, ends_at=end.isoformat()
        )
    paid: dict[str, list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    window = {"$gte": start, "$lt": end}
    for w in db.withdrawals.find({"state": "WITHDRAWN", "ended_at": window}):
        paid[w["openid"]].append(int(w["amount"]))
        if w.get("payee"):
            names[w["openid"]] = w["payee"]
    reversed_after: dict[str, int] = defaultdict(int)
    for entry in db.commissions.find({"status": "REVERSED", "reversed_at": window}):
        if entry.get("released_at"):  # reversed after release: the money may have left
            reversed_after[entry["inviter"]] += int(entry["amount"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "quarter",
            "platform_account",
            "real_name",
            "payments",
            "paid_yuan",
            "reversed_after_payout_yuan",
        ]
    )
    for openid in sorted(paid):
        writer.writerow(
            [
                cmd.quarter,
                openid,
                names.get(openid, ""),
                len(paid[openid]),
                f"{sum(paid[openid]) / 100:.2f}",
                f"{reversed_after.get(openid, 0) / 100:.2f}",
            ]
        )
    key = f"reports/commissions/commission_income_{cmd.quarter}.csv"
    object_storage.put_text(key, out.getvalue(), file_name=key.rsplit("/", 1)[-1])
    return CommissionReportFile(
        quarter=cmd.quarter,
        promoters=len(paid),
        paid_fen=sum(sum(v) for v in paid.values()),
        key=key,
        download=object_storage.download_link(key),
    )
