"""The one source of 'now': aware UTC, millisecond precision like the store keeps; and the
business day, which is Asia/Shanghai's calendar day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SHANGHAI = timezone(timedelta(hours=8))  # no daylight saving in China


def business_day(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of an Asia/Shanghai calendar day."""
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def day_of(moment: datetime) -> date:
    """The business day a moment falls on."""
    return moment.astimezone(SHANGHAI).date()


_travel = timedelta(0)


def utcnow() -> datetime:
    now = datetime.now(timezone.utc) + _travel
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def travel(offset: timedelta) -> None:
    """Move this process's 'now' by `offset` (scripts/demo_traffic.py plays past days with
    it; only in dev, which the script checks). travel(timedelta(0)) comes back."""
    global _travel
    _travel = offset


def to_millis(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_millis(millis: int) -> datetime:
    return EPOCH + timedelta(milliseconds=millis)
