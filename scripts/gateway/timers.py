"""The dev gateway's timers: every timer trigger of serverless.yml, fired on its own schedule
as SCF would, by POSTing to the gateway's /timer/<function> route (so each run is an ordinary
invocation of a worker). Started by the dev gateway in dev unless RETAIL_DEV_TIMERS=off
(the tests fire timers themselves).

    .venv/bin/python scripts/gateway/timers.py --url http://127.0.0.1:8787 [--at ISO --once]

A timer's cron has seven fields, second minute hour day month weekday year (SCF's timer
trigger page, https://cloud.tencent.com/document/product/583/9708); croniter evaluates it
(second_at_beginning), here in Beijing time, the time SCF's console shows (the page names no
time zone; every schedule of serverless.yml suits either reading).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from croniter import croniter

ROOT = Path(__file__).resolve().parents[2]
BEIJING = timezone(timedelta(hours=8))
IDLE_SECONDS = 2.0  # at most this long between looks at the parent process


@dataclass(frozen=True)
class Timer:
    function: str
    name: str
    cron: str

    def next_after(self, moment: datetime) -> datetime:
        found: datetime = croniter(self.cron, moment, second_at_beginning=True).get_next(datetime)
        return found


def timers(config: Path = ROOT / "serverless.yml") -> list[Timer]:
    """The enabled timer triggers of the deployment description."""
    triggers = yaml.safe_load(config.read_text(encoding="utf-8"))["inputs"]["triggers"]
    return [
        Timer(t["function"], t["parameters"]["name"], t["parameters"]["cronExpression"])
        for t in triggers
        if t["type"] == "timer" and t["parameters"].get("enable", True)
    ]


def fire(url: str, timer: Timer) -> int:
    """Run the timer once through the gateway; its HTTP status."""
    request = urllib.request.Request(f"{url}/timer/{timer.function}", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            status: int = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"timer {timer.name}: the gateway did not answer ({error})", file=sys.stderr)
        return 0
    print(f"timer {timer.name}: {timer.function} answered {status}", file=sys.stderr, flush=True)
    return status


def due(schedule: list[Timer], after: datetime, until: datetime) -> list[Timer]:
    """The timers whose next firing after `after` is no later than `until`."""
    return [t for t in schedule if t.next_after(after) <= until]


def run(url: str, schedule: list[Timer], parent: int) -> None:
    """Fire each timer at its times until the gateway that started us is gone."""
    last = datetime.now(BEIJING)
    while os.getppid() == parent:
        now = datetime.now(BEIJING)
        for timer in due(schedule, last, now):
            fire(url, timer)
        last = now
        upcoming = min(t.next_after(now) for t in schedule)
        wait = (upcoming - datetime.now(BEIJING)).total_seconds()
        time.sleep(min(max(wait, 0.05), IDLE_SECONDS))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--url", required=True, help="the dev gateway, e.g. http://127.0.0.1:8787")
    parser.add_argument("--at", help="with --once: fire what is due in the second ending at ISO")
    parser.add_argument("--once", action="store_true", help="fire once and exit")
    args = parser.parse_args()
    schedule = timers()
    if args.once:
        until = (datetime.fromisoformat(args.at) if args.at else datetime.now()).astimezone(BEIJING)
        for timer in due(schedule, until - timedelta(seconds=1), until):
            fire(args.url, timer)
        return
    print(f"timers: {len(schedule)} on their serverless.yml schedules", file=sys.stderr, flush=True)
    run(args.url, schedule, os.getppid())


if __name__ == "__main__":
    main()
