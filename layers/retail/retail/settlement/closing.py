"""Which business day may be settled: only one that has ended (Asia/Shanghai) plus
RETAIL_SETTLEMENT_GRACE_SECONDS, so the day's last completions are written before its
statements close. Lines that still come later are late lines of the next statement.

The daily timer asks for no day: it settles the latest ended day and every earlier one within
LOOKBACK that no run has finished, and further back every day since the oldest line still
owed (up to CATCH_UP), so a run that was missed, died part way or stopped for weeks is caught
up by the next one, whatever was run by hand in between."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from retail.common.clock import business_day, day_of, utcnow
from retail.common.errors import InvalidArgument, Reason
from retail.common.settings import settings
from retail.orders import oldest_due
from retail.store import Db

from .claims import LOOKBACK

# How far back the timer catches up the days the to-do set still owes lines of: a shop whose
# timer stopped for up to a year is settled day by day once it runs again.
CATCH_UP = timedelta(days=366)


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


def days_to_settle(db: Db, requested: date | None) -> list[date]:
    """The days a run settles, oldest first: `requested` alone, or (the timer) every day of
    the last LOOKBACK up to the latest settleable one that no run has finished (a run writes
    `settlement_days.<day>` once every merchant's statement of the day is in), and the latest
    day again. The first run of a shop settles the latest day only. Raises InvalidArgument
    (DAY_NOT_ENDED) for a requested day not over."""
    latest = settleable_day(requested)
    if requested is not None or db.statements.find_one({}, {"_id": 1}) is None:
        return [latest]
    since = latest - timedelta(days=LOOKBACK.days - 1)
    owed = oldest_due(db)
    if owed is not None:  # a day with lines owed that no run settled in time: caught up too
        since = max(min(since, day_of(owed)), latest - CATCH_UP)
    finished = {
        d["_id"] for d in db.settlement_days.find({"_id": {"$gte": since.isoformat()}}, {"_id": 1})
    }
    days = [since + timedelta(days=n) for n in range((latest - since).days + 1)]
    return [day for day in days if day.isoformat() not in finished or day == latest]


def finished_days(db: Db, since: datetime) -> set[str]:
    """The days from `since` on whose every statement is written, as ISO dates."""
    first = since.date().isoformat()
    return {d["_id"] for d in db.settlement_days.find({"_id": {"$gte": first}}, {"_id": 1})}


def day_is_finished(db: Db, day: date) -> bool:
    return db.settlement_days.find_one({"_id": day.isoformat()}, {"_id": 1}) is not None


def day_finished(db: Db, day: date) -> None:
    """Every merchant's statement of `day` is written: later timer runs leave it alone."""
    db.settlement_days.update_one(
        {"_id": day.isoformat()}, {"$setOnInsert": {"finished_at": utcnow()}}, upsert=True
    )
