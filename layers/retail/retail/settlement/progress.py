"""A day's settlement as a run that stops before the function's time is up and is taken up
again by the next invocation, in `settlement_runs` (one document per business day).

The document holds what the run has counted so far: how far it read the to-do set (by order
id), each merchant's totals and the chunks of lines written (settlement.lines). One
invocation holds the day at a time, under a lease and a run id of its own; it saves as it
goes with a conditional update naming the version it read, so an invocation that lost the
day (its lease ran out while it was still alive) finds out at its next save and stops.
Whatever it wrote past its last save is met again by the next holder (a claim held for the
same statement is taken again, and counted in the taker's chunks) or left out of every
chunk the statement names: finalize then releases such claims and drops such chunks, even
ones written after the statement."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.store import Db

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


def take_day(db: Db, day: date, rates: dict[str, int], lease: timedelta) -> DayRun | None:
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
    # The taker counts under a run of its own: claims an invocation that lost the day goes on
    # inserting are then not the writer's, and finalize releases those no chunk names.
    run = uuid.uuid4().hex[:12]
    taken = db.settlement_runs.update_one(
        {"_id": day.isoformat(), "version": held["version"]},
        {"$set": {"version": held["version"] + 1, "lease_until": now + lease, "run": run}},
    )
    if not taken.modified_count:
        return None
    merchants = held.get("merchants", {})  # none once the run finished: its statements are in
    if not held["counted"]:  # a merchant added since the run began has its statement too
        merchants = {**{m: new_ledger_state(r) for m, r in rates.items()}, **merchants}
    return DayRun(
        day, run, held["version"] + 1, held["after"], held["brought_in"], held["counted"], merchants
    )


def keep(db: Db, held: DayRun, lease: timedelta) -> bool:
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


def let_go(db: Db, held: DayRun) -> None:
    """The run stops here for now: the next invocation may take the day at once."""
    db.settlement_runs.update_one(
        {"_id": held.day.isoformat(), "version": held.version},
        {"$set": {"lease_until": utcnow()}},
    )


def finish_run(db: Db, held: DayRun) -> None:
    """Every statement of the day is written: the run's counts are in them now."""
    db.settlement_runs.update_one(
        {"_id": held.day.isoformat(), "version": held.version},
        {"$set": {"finished_at": utcnow(), "lease_until": utcnow()}, "$unset": {"merchants": ""}},
    )
