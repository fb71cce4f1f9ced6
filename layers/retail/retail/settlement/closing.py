"""Which business day may be settled: only one that has ended (Asia/Shanghai) plus
RETAIL_SETTLEMENT_GRACE_SECONDS, so the day's last completions are written before its
statements close. Lines that still come later are late lines of the next statement."""

from __future__ import annotations

from datetime import date, timedelta

from retail.common.clock import business_day, day_of, utcnow
from retail.common.errors import InvalidArgument, Reason
from retail.common.settings import settings


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
