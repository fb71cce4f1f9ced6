"""`make dev`'s demo scenario (scripts/demo_traffic.py) prints its progress and nothing a
newcomer would take for breakage: payments and refunds go through the WeChat Pay sandbox,
so no refund is refused for an order the sandbox never saw."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from retail.store import connect
from scripts.gateway.launcher import start_gateway, stop

ROOT = Path(__file__).resolve().parents[2]


def test_demo_scenario_prints_progress_and_no_warnings(tmp_path):
    gateway = start_gateway(tmp_path, "dev", workers=1)
    try:
        env = {
            **os.environ,
            "RETAIL_ENV": "dev",
            "RETAIL_DB_URI": gateway.db_uri,
            "RETAIL_LOG_LEVEL": "WARNING",
        }
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "demo_traffic.py"), "--days", "10"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        stop(gateway)  # only its seeded store is used
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    progress = [line for line in lines if line.startswith("demo: ")]
    others = [
        line
        for line in lines
        if not line.startswith(("demo: ", "dev object storage")) and not _deliberate(line)
    ]
    assert progress and others == [], others[:5]  # no other warning or error line at all
    assert [line.split(",")[0] for line in lines if "played day" in line] == [
        "demo: played day 7/11",
        "demo: played day 11/11",
    ]
    db = connect(gateway.db_uri)
    refunded = db.orders.count_documents({"status": "REFUNDED"})
    assert refunded > 0 and db.refunds.count_documents({"status": "SUCCESS"}) == refunded
    assert db.orders.count_documents({"transaction_id": {"$regex": "^42"}}) > refunded
    # Work left in every queue, as a shop has it each morning.
    to_ship = {"status": "PAID", "delivery": "express", "risk_hold": None}
    assert db.orders.count_documents(to_ship) > 0
    assert db.orders.count_documents({"status": "PAID", "delivery": "pickup"}) > 0
    assert db.orders.count_documents({"refund_request.status": "REQUESTED"}) == 1
    assert db.orders.count_documents({"risk_hold": {"$ne": None}}) >= 1
    assert db.risk_events.count_documents({"status": "OPEN"}) >= 1
    assert len(db.tickets.distinct("text")) >= 2
    assert len(db.reviews.distinct("text")) >= 2


def _deliberate(line: str) -> bool:
    """The demo's one warning on purpose: the risk rule holding the order of a fourth account
    at one address."""
    return '"event": "risk_event_recorded"' in line and '"action": "hold"' in line
