"""The data loop at scale: 1,000,000 tracked events and 100,000 orders over 30 days on the
embedded store; the rollup of one day timed, then every dashboard over the 30 days.

Target: each dashboard query under 200 ms, since they read only the rollups.

    .venv/bin/python bench/analytics_bench.py [--events 1000000] [--orders 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAYS = 30
MERCHANTS = [f"m-{n:02d}" for n in range(20)]
SCENES = [1001, 1007, 1008, 1011, 1047, 1053, 1058, 1026, 1045]
TYPES = ["page_view"] * 5 + ["product_view"] * 3 + ["add_to_cart", "checkout_start", "share"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=60_000)
    args = parser.parse_args()
    os.environ["RETAIL_ENV"] = "dev"  # dev's secrets: customers are keyed by pseudonym
    sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]
    from retail import analytics
    from retail.analytics.customers import refresh_customers
    from retail.analytics.retention import refresh_retention
    from retail.analytics.rollup import roll_up_day
    from retail.common.clock import business_day, day_of, utcnow
    from retail.common.operator import Operator
    from retail.store import connect
    from retail.store.indexes import apply_indexes

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(f"sqlite:///{tmp}/analytics.db")
        apply_indexes(db, json.loads((ROOT / "infra" / "indexes.json").read_text()))
        today = day_of(utcnow())
        days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
        users = [f"o-{n:06d}" for n in range(args.users)]
        started = time.perf_counter()
        db.users.insert_many(
            [{"_id": u, "entry_scene": rng.choice(SCENES)} for u in users], ordered=True
        )
        for batch in range(0, args.orders, 10_000):
            docs = []
            for n in range(batch, min(batch + 10_000, args.orders)):
                day = rng.choice(days)
                at = business_day(day)[0] + timedelta(seconds=rng.randrange(86_400))
                amount = rng.randrange(990, 29_900)
                paid = rng.random() < 0.8
                doc = {
                    "_id": f"O{n:09d}",
                    "idempotency_key": f"bench-{n:09d}",
                    "openid": rng.choice(users),
                    "status": "COMPLETED" if paid else "CANCELLED",
                    "lines": [{"merchant_id": rng.choice(MERCHANTS), "amount": amount, "qty": 1}],
                    "total": amount,
                    "created_at": at,
                }
                if paid:
                    doc.update(paid_amount=amount, paid_at=at + timedelta(minutes=2))
                    if rng.random() < 0.03:
                        doc.update(status="REFUNDED", refunded_at=at + timedelta(days=1))
                docs.append(doc)
            db.orders.insert_many(docs)
        for batch in range(0, args.events, 20_000):
            docs = []
            for _ in range(min(20_000, args.events - batch)):
                day = rng.choice(days)
                at = business_day(day)[0] + timedelta(seconds=rng.randrange(86_400))
                scene = rng.choice(SCENES)
                docs.append(
                    {
                        "openid": rng.choice(users),
                        "type": rng.choice(TYPES),
                        "at": at,
                        "day": day.isoformat(),
                        "channel": analytics.channels.channel_of(scene),
                        "scene": scene,
                        "merchant_id": rng.choice(MERCHANTS),
                    }
                )
            db.events.insert_many(docs)
        print(
            f"data: {args.events:,} events, {args.orders:,} orders, {args.users:,} users over "
            f"{DAYS} days, loaded in {time.perf_counter() - started:.1f} s"
        )
        for day in days[:-1]:
            roll_up_day(db, day)
        started = time.perf_counter()
        roll_up_day(db, days[-1])
        day_seconds = time.perf_counter() - started
        started = time.perf_counter()
        customers = refresh_customers(db, today)
        customer_seconds = time.perf_counter() - started
        started = time.perf_counter()
        refresh_retention(db, today)
        retention_seconds = time.perf_counter() - started
        print(
            f"rollup of one day ({args.events // DAYS:,} events): {day_seconds:.2f} s; "
            f"customer table ({customers:,} customers, RFM): {customer_seconds:.2f} s; "
            f"retention cohorts: {retention_seconds:.2f} s"
        )
        admin = Operator("bench", "admin")
        merchant = Operator("bench", "merchant:m-03")
        span = {"start": days[0], "end": days[-1]}
        queries = {
            "sales by day, 30 days": lambda: analytics.sales_report(
                analytics.SalesQuery(**span), operator=admin, db=db
            ),
            "sales by week, one merchant": lambda: analytics.sales_report(
                analytics.SalesQuery(**span, period="week"), operator=merchant, db=db
            ),
            "sales by month, share channel": lambda: analytics.sales_report(
                analytics.SalesQuery(**span, period="month", channel="share"), operator=admin, db=db
            ),
            "funnel, 30 days": lambda: analytics.funnel_report(
                analytics.Slice(**span), operator=admin, db=db
            ),
            "DAU/WAU/MAU, 30 days": lambda: analytics.active_report(
                analytics.DayRange(**span), db=db
            ),
            "retention cohorts": lambda: analytics.retention_report(analytics.ShowSummary(), db=db),
            "RFM segments": lambda: analytics.segments_report(
                analytics.ShowSummary(), operator=admin, db=db
            ),
            "channels, 30 days": lambda: analytics.channels_report(
                analytics.DayRange(**span), db=db
            ),
        }
        slowest = 0.0
        for name, query in queries.items():
            query()
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                query()
                timings.append((time.perf_counter() - started) * 1000)
            median = sorted(timings)[2]
            slowest = max(slowest, median)
            print(f"  {name:<32} {median:7.1f} ms (median of 5)")
        print(f"slowest dashboard query: {slowest:.1f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()
