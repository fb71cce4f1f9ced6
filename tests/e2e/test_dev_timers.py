"""The dev gateway runs the timers of serverless.yml on their schedules, as SCF would, unless
RETAIL_DEV_TIMERS=off (what the other tests use, to fire timers themselves)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from retail.common.clock import utcnow
from retail.store import connect

from ..functions.harness import sample
from .conftest import start_gateway, stop_gateway

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from gateway.timers import timers  # noqa: E402


def test_every_timer_of_serverless_yml_is_scheduled_for_a_real_function():
    schedule = timers()
    assert len(schedule) == 15
    assert {t.function for t in schedule} <= {p.name for p in (ROOT / "functions").iterdir()}
    expire = next(t for t in schedule if t.function == "order_expire")
    assert expire.cron == "0 */1 * * * * *"


def test_a_dev_gateway_starts_its_timers_and_they_run_the_functions(tmp_path):
    shop = start_gateway(tmp_path, "dev", settings={"RETAIL_DEV_TIMERS": "on"})
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
            line.startswith("timers: 15 on their serverless.yml schedules")
            for line in shop.log_lines()
        ):
            time.sleep(0.1)
        assert "timers: 15 on their serverless.yml schedules" in shop.log_path.read_text()
        buyer = {"X-Dev-Openid": "o-timers"}
        shop.post("/fn/consent_accept", {"version": "2026-01", "share_contact": True}, buyer)
        data = {**sample("order_place"), "idempotency_key": "timers-0001"}
        order = shop.post("/fn/order_place", data, buyer)[1]["data"]
        db = connect(shop.db_uri)
        db.orders.update_one(  # its payment window closed a minute ago
            {"_id": order["order_id"]}, {"$set": {"pay_deadline": utcnow() - timedelta(minutes=1)}}
        )
        fired = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "gateway" / "timers.py"),
                "--url",
                shop.url,
                "--once",
                "--at",
                "2026-12-08T01:30:00+08:00",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        ran = sorted(line.split(": ")[1] for line in fired.stderr.splitlines())
        assert ran == [
            "order_expire answered 200",
            "payment_reconcile answered 200",
            "settlement_run answered 200",
        ], fired.stderr
        assert db.orders.find_one({"_id": order["order_id"]})["status"] == "CANCELLED"
        # The timers process dies: it is started again, and taken for no worker.
        found = subprocess.run(
            ["pgrep", "-f", f"timers.py --url {shop.url}"], capture_output=True, text=True
        )
        os.kill(int(found.stdout.split()[0]), signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and shop.log_path.read_text().count("timers: 11") < 2:
            time.sleep(0.1)
        log = shop.log_path.read_text()
        assert log.count("timers: 15 on their serverless.yml schedules") == 2, log
        assert "starting them again" in log and "worker" not in log
    finally:
        stop_gateway(shop)


def test_the_switch_turns_the_timers_off(tmp_path):
    shop = start_gateway(tmp_path, "dev")  # the launcher's default: RETAIL_DEV_TIMERS=off
    try:
        assert shop.post("/fn/health_check")[0] == 200
        assert "timers:" not in shop.log_path.read_text()
        lines = shop.log_path.with_suffix(".json.log").read_text().splitlines()
        banner = next(line for line in lines if line.startswith("dev gateway on"))
        assert banner.endswith(f"store {shop.db_uri}")  # the store it uses, never "None"
    finally:
        stop_gateway(shop)
