"""Hostile: settlement catch-up."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .harness import handler, sample
from .test_settlement_functions import cos, settle, _line, _at  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
TIMER = None


def _timer():
    ev = {**sample("settlement_run"), "Message": ""}
    a = handler("settlement_run")(ev, {})
    assert a["code"] == "OK", a
    return a["data"]


def _order(db, oid, day, merchant="m-self", amount=777):
    db.orders.insert_one({"_id": oid, "openid": "o", "idempotency_key": oid,
                          "completed_at": _at(12, day), "lines": [_line(merchant, "z", amount)]})


def _in_any_statement(db, oid):
    return [s["_id"] for s in db.statements.find({}) if any(r[1] == oid for r in s["rows"])]


def test_timer_crash_then_hand_run_of_later_day_loses_lines(seeded, cos, isolated_env):
    from retail.settlement.closing import settleable_day
    latest = settleable_day(None)
    d_crash, d_prev = latest - timedelta(days=1), latest - timedelta(days=2)
    settle(d_prev.isoformat())
    _order(seeded, "O-lost", d_crash.isoformat())
    code = ("from retail.settlement import SettleDay, run_settlement\n"
            "run_settlement(SettleDay())\n")
    env = {"PATH": "/usr/bin:/bin", "RETAIL_ENV": "dev", "RETAIL_DB_URI": isolated_env,
           "RETAIL_FAULT_POINT": "settlement:after_statement_1",
           "PYTHONPATH": str(ROOT / "layers" / "retail")}
    killed = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60)
    assert killed.returncode == 86, killed.stderr
    print("after crash", sorted(s["_id"] for s in seeded.statements.find({"day": {"$gte": d_crash.isoformat()}})))
    settle(latest.isoformat())          # operator settles the latest day by hand
    ans = _timer()                      # the daily timer
    print("timer days", ans["days"])
    print("statements", sorted(s["_id"] for s in seeded.statements.find({"day": {"$gte": d_crash.isoformat()}})))
    ans2 = _timer()
    print("again", ans2["days"])
    assert seeded.statements.find_one({"_id": f"m-self:{d_crash.isoformat()}"}), "m-self statement never written"
    assert _in_any_statement(seeded, "O-lost"), "sale in no statement"


def _gap(seeded, gap_days):
    from retail.settlement.closing import settleable_day
    latest = settleable_day(None)
    last = latest - timedelta(days=gap_days)
    settle(last.isoformat())
    mid = last + timedelta(days=5)
    _order(seeded, "O-gap", mid.isoformat())
    ans = _timer()
    return ans, _in_any_statement(seeded, "O-gap")


def test_gap_of_30_days_is_caught_up(seeded, cos):
    ans, where = _gap(seeded, 30)
    print(len(ans["days"]), where)
    assert where


def test_gap_of_31_days_loses_every_day_in_the_window(seeded, cos):
    ans, where = _gap(seeded, 31)
    print(len(ans["days"]), ans["days"], where)
    assert where, "sale 26 days ago in no statement; timer settled only %s" % ans["days"]
