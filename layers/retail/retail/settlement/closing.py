"""Which business day may be settled: only one that has ended (Asia/Shanghai) plus
RETAIL_SETTLEMENT_GRACE_SECONDS, so the day's last completions are written before its
statements close. Lines that still come later are late lines of the next statement.

The daily timer asks for no day: it settles the latest ended day and every earlier one (since
statements began, within LOOKBACK) that has no statement yet, so a run that was missed is
caught up by the next one, whatever was run by hand in between."""

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
    settleable day, the newest day with statements (its run may have died part way) and
    every earlier day since statements began, at most LOOKBACK back, that has none yet.
    Raises InvalidArgument (DAY_NOT_ENDED) for a requested day not over."""
    latest = settleable_day(requested)
    if requested is not None:
        return [latest]
    since = latest - timedelta(days=LOOKBACK.days - 1)
    settled = {
        s["day"] for s in db.statements.find({"day": {"$gte": since.isoformat()}}, {"day": 1})
    }
    if not settled:  # the first run here, or nothing within the window: the latest day only
        return [latest]
    first = max(since, date.fromisoformat(min(settled)))
    days = [first + timedelta(days=n) for n in range((latest - first).days + 1)]
    again = {max(settled), latest.isoformat()}  # the last run may have died part way
    return [day for day in days if day.isoformat() not in settled or day.isoformat() in again]
