"""coupon_lapsed on 100k users, 20% of them lapsed, on the embedded store.

.venv/bin/python bench/lapsed_bench.py [--users 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(RETAIL_ENV="dev", RETAIL_DB_URI=f"sqlite:///{tmp}/lapsed.db")
        sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]
        from retail.campaigns import win_back_lapsed_users
        from retail.catalog import load_catalog
        from retail.common.clock import utcnow
        from retail.common.database import database
        from retail.core import BatchRequest, Budget
        from retail.store.indexes import apply_indexes

        db = database()
        apply_indexes(db, json.loads((ROOT / "infra/indexes.json").read_text()))
        load_catalog(json.loads((ROOT / "infra/seed/demo.json").read_text()), db)
        db.coupon_templates.update_one({"_id": "c-winback"}, {"$set": {"total_quota": args.users}})
        now = utcnow()
        users = []
        for i in range(args.users):
            days = 45 if i % 5 == 0 else 5  # every fifth user last paid 45 days ago
            users.append(
                {
                    "_id": f"o-user-{i:07d}",
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "points": 0,
                    "level": 1,
                    "last_paid_at": now - timedelta(days=days),
                }
            )
        started = time.perf_counter()
        for first in range(0, len(users), 10_000):
            db.users.insert_many(users[first : first + 10_000])
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        summary = win_back_lapsed_users(
            BatchRequest(batch_size=1000, max_batches=10_000), budget=Budget(900)
        )
        took = time.perf_counter() - started
        print(f"users: {args.users:,} ({args.users // 5:,} lapsed), loaded in {loaded:.1f}s")
        print(
            f"coupon_lapsed: {took:.1f}s, scanned {summary.scanned:,}, granted "
            f"{summary.granted:,}, skipped {summary.skipped}, failed {summary.failed} "
            f"(target: under 60 s)"
        )
        started = time.perf_counter()
        again = win_back_lapsed_users(
            BatchRequest(batch_size=1000, max_batches=10_000), budget=Budget(900)
        )
        print(f"second run: {time.perf_counter() - started:.1f}s, granted {again.granted}")


if __name__ == "__main__":
    main()
