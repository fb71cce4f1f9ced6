"""A year-old shop, on demand: a year of finished trade written into the store named by
RETAIL_DB_URI, so every call and timer can be tried on a shop that has traded (dev only).

The history is made of real documents, not invented ones: the demo scenario
(scripts/demo_traffic.py) plays three weeks of a small shop through the functions into a
scratch store, and its finished work (orders completed, cancelled, refunded or failed, with
their refunds, points, commissions, coupons, reviews, claims and statements, the buyers with
their consents and customer rows, the tracking events, audit and risk records, the daily
rollups) is copied again and again, each copy with new buyers and order ids and moved back
to a day of the past year. Open work (unpaid, paid, shipped orders, requests to review) is
not copied: a shop's queues hold today's work, not a year's. Rate windows and metrics live
for minutes and days (TTL indexes), so no history of them is kept either. Written in bulk:
minutes for the default size.

    RETAIL_ENV=dev .venv/bin/python scripts/year_old_shop.py [--orders 200000]
        [--events 1000000] [--users 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]

from pymongo.errors import BulkWriteError  # noqa: E402

from retail.common.clock import utcnow  # noqa: E402
from retail.common.database import database  # noqa: E402
from retail.common.settings import settings  # noqa: E402
from retail.store import connect  # noqa: E402
from retail_dev.embedded.codec import dumps, loads  # noqa: E402

FINISHED = {"COMPLETED", "CANCELLED", "REFUNDED", "FAILED"}
# What a year of trade leaves behind; everything else is catalogue, configuration, today's
# work, or records that expire.
HISTORY = (
    "orders",
    "refunds",
    "points_ledger",
    "commissions",
    "coupons",
    "reviews",
    "nps",
    "tickets",
    "risk_events",
    "settlement_claims",
    "statements",
    "statement_lines",
    "settlement_runs",
    "settlement_days",
    "users",
    "consents",
    "consent_log",
    "customers",
    "exposures",
    "audit_log",
    "daily_stats",
    "daily_funnel",
    "daily_funnel_users",
    "daily_payers",
    "daily_active",
    "daily_active_users",
    "daily_shares",
    "daily_ads",
)
# Buyers who browsed and never bought: the shop's other users.
BROWSERS = ("users", "consents", "consent_log", "exposures")
# One document per day (and merchant): a copy landing on a day another copy holds skips it.
PER_DAY = {"statements", "statement_lines", "settlement_runs", "settlement_days"} | {
    c for c in HISTORY if c.startswith("daily_")
}
ORDER_ID = re.compile(r"O(\d{12})[A-Z0-9]{10}")
TOKEN = re.compile(
    r'O\d{12}[A-Z0-9]{10}|o-demo-\d{3}|\b20\d\d-\d\d-\d\d\b|\{"\$date":(-?\d+)\}|T[0-9A-F]{12}'
)
OPEN_WORK = (
    {"refund_request.status": "REQUESTED"},
    {"payment_checked": False},
    {"outbox.0": {"$exists": True}},
    {"parcels_owed.0": {"$exists": True}},
    {"stock_settled": False},
)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPLATE_DAYS = 21
BATCH = 2000


def build_template(directory: Path, days: int, buyers: int, seed: int) -> Any:
    """The demo scenario played into a scratch store under `directory`; returns that store."""
    uri = f"sqlite:///{directory}/template.db"
    env = {**os.environ, "RETAIL_ENV": "dev", "RETAIL_DB_URI": uri, "RETAIL_LOG_LEVEL": "ERROR"}
    python = sys.executable
    for command in (
        [python, str(ROOT / "scripts" / "init_db.py")],
        [python, str(ROOT / "scripts" / "seed.py"), str(ROOT / "infra" / "seed" / "demo.json")],
        [
            python,
            str(ROOT / "scripts" / "demo_traffic.py"),
            f"--days={days}",
            f"--buyers={buyers}",
            f"--seed={seed}",
        ],
    ):
        subprocess.run(command, env=env, cwd=directory, check=True, capture_output=True)
    return connect(uri)


class Template:
    """The scratch shop's finished documents, as JSON text ready to copy."""

    def __init__(self, store: Any) -> None:
        open_orders = {
            o["_id"] for o in store.orders.find({"status": {"$nin": sorted(FINISHED)}}, {"_id": 1})
        }
        # Work a timer or an operator still has to do on an order, in the fields that put it
        # in their to-do sets (docs/decisions/0016-the-second-year.md).
        pending = {o["_id"] for query in OPEN_WORK for o in store.orders.find(query, {"_id": 1})}
        refunding = {r["order_id"] for r in store.refunds.find({"order_done": False})}
        self.excluded = open_orders | pending | refunding
        self.texts: dict[str, list[str]] = {}
        for name in HISTORY:
            texts = []
            for doc in store[name].find({}):
                text = dumps(doc)
                if not any(order in text for order in self.excluded):
                    texts.append(text)
            self.texts[name] = texts
        self.orders = len(self.texts["orders"])
        self.days = TEMPLATE_DAYS + 1  # what one copy spans
        self.events = [dumps(doc) for doc in store.events.find({})]


class Copier:
    """One copy of the template: new buyers, new order ids, every date `days` earlier."""

    def __init__(self, number: int, days: int, rng: random.Random) -> None:
        self.number, self.shift, self.rng = number, timedelta(days=days), rng
        self.ids: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return TOKEN.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if match.group(1) is not None:  # a date, in milliseconds
            millis = int(match.group(1)) - self.shift // timedelta(milliseconds=1)
            return f'{{"$date":{millis}}}'
        if token[0] == "2":
            return (date.fromisoformat(token) - self.shift).isoformat()
        if token not in self.ids:
            self.ids[token] = self._new_id(token)
        return self.ids[token]

    def _new_id(self, token: str) -> str:
        suffix = "".join(self.rng.choice(ALPHABET) for _ in range(10))
        if token.startswith("o-demo-"):
            return f"o-y{self.number:05d}-{token[7:]}"
        if token[0] == "T":
            return f"T{self.rng.getrandbits(48):012X}"
        stamp = time.strptime(token[1:13], "%y%m%d%H%M%S")
        moved = date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday) - self.shift
        return f"O{moved:%y%m%d}{token[7:13]}{suffix}"


def copies_of(template: Template, orders: int) -> int:
    return max(1, -(-orders // max(template.orders, 1)))


def grow(
    db: Any,
    template: Template,
    orders: int = 200_000,
    events: int = 1_000_000,
    users: int = 100_000,
    seed: int = 1,
    days: tuple[int, int] = (1, 365 - TEMPLATE_DAYS - 1),
    first_copy: int = 0,
) -> dict[str, int]:
    """Write the history into `db`, each copy of the template (three weeks long) moved back
    by a number of days in `days`, so the default spans the past year; copies are numbered
    from `first_copy` (their buyers' ids), so two histories written into one store never
    share a buyer. Returns the documents written per collection."""
    rng = random.Random(f"{seed}:{first_copy}")
    copies = copies_of(template, orders)
    written: dict[str, int] = {}
    per_copy = max(len(template.texts["users"]), 1)
    browser_copies = max(0, -(-(users - copies * per_copy) // per_copy))
    for number in range(copies + browser_copies):
        copier = Copier(first_copy + number, rng.randint(*days), rng)
        trading = number < copies
        for name in HISTORY if trading else BROWSERS:
            written[name] = written.get(name, 0) + _insert(db, name, template.texts[name], copier)
        if trading and template.events:
            share = events // copies + (1 if number < events % copies else 0)
            sample = [rng.choice(template.events) for _ in range(share)]
            written["events"] = written.get("events", 0) + _insert(db, "events", sample, copier)
    return written


def _insert(db: Any, name: str, texts: list[str], copier: Copier) -> int:
    written = 0
    for start in range(0, len(texts), BATCH):
        docs = []
        for text in texts[start : start + BATCH]:
            doc = loads(copier(text))
            if not isinstance(doc["_id"], str) or name == "events":
                del doc["_id"]  # an ObjectId: the store gives the copy its own
            doc.pop("settlement_due", None)  # history is settled
            docs.append(doc)
        try:
            written += len(db[name].insert_many(docs, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            if name not in PER_DAY and name != "events":
                raise
            written += exc.details["nInserted"]
    return written


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not settings().is_dev:
        sys.exit("year_old_shop.py writes made-up history: it runs only with RETAIL_ENV=dev")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        template = Template(build_template(Path(scratch), TEMPLATE_DAYS, 40, args.seed))
    written = grow(database(), template, args.orders, args.events, args.users, args.seed)
    summary = ", ".join(f"{n} {name}" for name, n in sorted(written.items()) if n)
    print(f"wrote {summary} in {time.monotonic() - started:.0f} s (as of {utcnow():%Y-%m-%d})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
