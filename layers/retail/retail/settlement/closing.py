"""Which business day may be settled: only one that has ended (Asia/Shanghai) plus
RETAIL_SETTLEMENT_GRACE_SECONDS, so the day's last completions are written before its
statements close. Lines that still come later are late lines of the next statement.

The daily timer asks for no day: it settles every ended day from the newest day that has
statements on, so a run that was missed or died part way is caught up by the next one
(days already written are left as they are)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from retail.common.clock import business_day, day_of, utcnow
from retail.common.errors import InvalidArgument, Reason
from retail.common.settings import settings

from .claims import LOOKBACK


def settleable_day(requested: date | None) -> date:
    """`requested`, or by default the latest day past its grace. Raises InvalidArgument."""
    now = utcnow()
    grace = timedelta(seconds=settings().RETAIL_SETTLEMENT_GRACE_SECONDS)
    if requested is None:
        latest = day_of(now - grace) - timedelta(days=1)
        return latest
    settle_after = business_day(requested)[1] + grace
    if now < settle_after:
        raise InvalidArgument(
            f"day {requested.isoformat()} has not ended (settle after {settle_after.isoformat()})",
            reason=Reason.DAY_NOT_ENDED,
            settle_after=settle_after.isoformat(),
        )
    return requested


def days_to_settle(db: Any, requested: date | None) -> list[date]:
    """The days a run settles, oldest first: `requested` alone, or (the timer) the latest
    settleable day and every day since the newest with statements, at most LOOKBACK back.
    Raises InvalidArgument (DAY_NOT_ENDED) for a requested day not over."""
    latest = settleable_day(requested)
    if requested is not None:
        return [latest]
    newest = db.statements.find_one(
        {"day": {"$lte": latest.isoformat()}}, {"day": 1}, sort=[("day", -1)]
    )
    if newest is None:  # the first run: nothing earlier was ever settled here
        return [latest]
    first = max(date.fromisoformat(newest["day"]), latest - timedelta(days=LOOKBACK.days - 1))
    return [first + timedelta(days=n) for n in range((latest - first).days + 1)]
