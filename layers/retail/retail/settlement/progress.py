"""A day's settlement as a run that stops before the function's time is up and is taken up
again by the next invocation, in `settlement_runs` (one document per business day).

The document holds what the run has counted so far: how far it read the to-do set (by order
id), each merchant's totals and the chunks of lines written (settlement.lines). One
invocation holds the day at a time, under a lease; it saves as it goes with a conditional
update naming the version it read, so an invocation that lost the day (its lease ran out
while it was still alive) finds out at its next save and stops. Whatever it wrote past its
last save is either met again by the next holder (claims it inserted are the same run's,
so they are taken again) or dropped when the statement is finalized (chunks not named)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow

TOTALS = ("gross", "commission", "refunded", "refunded_commission", "lines")


@dataclass
class DayRun:
    """One day's settlement as far as it has got."""

    day: date
    run: str
    version: int
    after: str = ""  # the to-do set is counted up to this order id
    brought_in: bool = False  # the day's orders outside the to-do set are in it
    counted: bool = False  # every order in the to-do set is counted
    merchants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_fields(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "after": self.after,
            "brought_in": self.brought_in,
            "counted": self.counted,
            "merchants": self.merchants,
        }


def new_ledger_state(rate_bp: int) -> dict[str, Any]:
    return {"rate_bp": rate_bp, **dict.fromkeys(TOTALS, 0), "chunks": []}


def take_day(db: Any, day: date, rates: dict[str, int], lease: timedelta) -> DayRun | None:
    """This invocation's hold on `day` for `lease`: a new run over the merchants of `rates`
    (each merchant's commission rate), or the run an invocation that stopped or died left;
    None while another invocation holds it."""
    now = utcnow()
    fresh = DayRun(day, uuid.uuid4().hex[:12], 0)
    fresh.merchants = {m: new_ledger_state(rate) for m, rate in sorted(rates.items())}
    try:
        db.settlement_runs.insert_one(
            {"_id": day.isoformat(), "version": 0, "lease_until": now + lease, **fresh.as_fields()}
        )
        return fresh
    except DuplicateKeyError:
        held = db.settlement_runs.find_one({"_id": day.isoformat()})
    if held is None or held["lease_until"] > now:
        return None
    taken = db.settlement_runs.update_one(
        {"_id": day.isoformat(), "version": held["version"]},
        {"$set": {"version": held["version"] + 1, "lease_until": now + lease}},
    )
    if not taken.modified_count:
        return None
    return DayRun(
        day,
        held["run"],
        held["version"] + 1,
        held["after"],
        held["brought_in"],
        held["counted"],
        held.get("merchants", {}),  # none once the run finished: its statements are in
    )


def keep(db: Any, held: DayRun, lease: timedelta) -> bool:
    """Save how far the run has got and extend the lease; False if another invocation took
    the day (this one must stop)."""
    saved = db.settlement_runs.update_one(
        {"_id": held.day.isoformat(), "version": held.version},
        {
            "$set": {
                **held.as_fields(),
                "version": held.version + 1,
                "lease_until": utcnow() + lease,
            }
        },
    )
    if not saved.modified_count:
        return False
    held.version += 1
    return True


def let_go(db: Any, held: DayRun) -> None:
    """The run stops here for now: the next invocation may take the day at once."""
    db.settlement_runs.update_one(
        {"_id": held.day.isoformat(), "version": held.version},
        {"$set": {"lease_until": utcnow()}},
    )


def finish_run(db: Any, held: DayRun) -> None:
    """Every statement of the day is written: the run's counts are in them now."""
    db.settlement_runs.update_one(
        {"_id": held.day.isoformat(), "version": held.version},
        {"$set": {"finished_at": utcnow(), "lease_until": utcnow()}, "$unset": {"merchants": ""}},
    )
