"""settlement_run over 100k order lines from 20 merchants on the embedded store, with the
CSVs going to an in-process COS (moto); then an ordinary next day (300 lines) settled with
those lines behind it, against the same day on an empty shop: what the settled history costs.

    .venv/bin/python bench/settlement_bench.py [--lines 100000] [--next-day 300]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COS = "https://cos.ap-shanghai.myqcloud.com"
CST = timezone(timedelta(hours=8))
MERCHANTS = 20
PER_ORDER = 3


def orders_of(day: date, lines: int, prefix: str) -> list[dict[str, Any]]:
    """Completed orders of `day` with `lines` lines over the merchants, each in settlement's
    to-do set as its completion put it there (orders.records.settling)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=CST)
    orders = []
    for n in range(lines // PER_ORDER):
        completed = start + timedelta(seconds=n % 86_000)
        orders.append(
            {
                "_id": f"O{prefix}{n:08d}",
                "openid": f"o{prefix}{n}",
                "idempotency_key": f"k{prefix}{n}",
                "lines": [
                    {
                        "merchant_id": f"m{(n + k) % MERCHANTS:02d}",
                        "sku_id": f"sku-{k}",
                        "title": "goods",
                        "qty": 1,
                        "amount": 990 + 10 * ((n + k) % 97),
                    }
                    for k in range(PER_ORDER)
                ],
                "completed_at": completed,
                "settlement_due": completed,
            }
        )
    return orders


def new_shop(path: str) -> Any:
    from retail.common.database import database, reset_database
    from retail.common.settings import reset_settings
    from retail.store.indexes import apply_indexes

    os.environ["RETAIL_DB_URI"] = f"sqlite:///{path}"
    reset_settings()
    reset_database()
    db = database()
    apply_indexes(db, json.loads((ROOT / "infra/indexes.json").read_text()))
    db.merchants.insert_many(
        [
            {"_id": f"m{i:02d}", "name": f"merchant {i}", "commission_rate_bp": 300 + 25 * i}
            for i in range(MERCHANTS)
        ]
    )
    return db


def load(db: Any, orders: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for first in range(0, len(orders), 5_000):
        db.orders.insert_many(orders[first : first + 5_000])
    return time.perf_counter() - started


def settle(day: date) -> tuple[float, int, float, dict[str, int]]:
    """Timer invocations of the day until one finishes it, each with the budget of SCF's
    60 s timeout (serverless.yml): total seconds, invocations, the longest invocation, and
    the statements written and CSVs exported."""
    from retail.common.batches import Budget
    from retail.settlement import SettleDay, run_settlement

    started, invocations, longest = time.perf_counter(), 0, 0.0
    counts = {"statements": 0, "csv": 0}
    while True:
        began = time.perf_counter()
        summary = run_settlement(SettleDay(day=day), budget=Budget.from_limit(60_000))
        longest, invocations = max(longest, time.perf_counter() - began), invocations + 1
        counts["statements"] += summary.statements_written
        counts["csv"] += summary.csv_exported
        if not summary.stopped_early:
            return time.perf_counter() - started, invocations, longest, counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--next-day", type=int, default=300, help="lines of the day after")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            RETAIL_ENV="dev",
            MOTO_S3_CUSTOM_ENDPOINTS=COS,
            MOTO_ALLOW_NONEXISTENT_REGION="True",
            RETAIL_COS_BUCKET="statements",
            RETAIL_COS_ADDRESSING="path",
            RETAIL_COS_SECRET_ID="x",
            RETAIL_COS_SECRET_KEY="x",
        )
        sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]
        import boto3
        from moto import mock_aws

        big, after = date(2026, 11, 23), date(2026, 11, 24)
        with mock_aws():
            boto3.client("s3", region_name="ap-shanghai", endpoint_url=COS).create_bucket(
                Bucket="statements", CreateBucketConfiguration={"LocationConstraint": "ap-shanghai"}
            )
            empty = new_shop(f"{tmp}/empty.db")
            load(empty, orders_of(after, args.next_day, "n"))
            alone = settle(after)[0]
            db = new_shop(f"{tmp}/settle.db")
            loaded = load(db, orders_of(big, args.lines, "b"))
            took, invocations, longest, counts = settle(big)
            total = sum(s["net"] for s in db.statements.find({}, {"net": 1}))
            load(db, orders_of(after, args.next_day, "n"))
            behind = settle(after)[0]
        print(f"order lines: {args.lines:,} from {MERCHANTS} merchants (loaded in {loaded:.1f}s)")
        print(
            f"settlement_run: {took:.1f}s in {invocations} invocation(s) of at most "
            f"{longest:.1f}s (SCF's timeout: 60 s), {counts['statements']} statements, "
            f"{counts['csv']} CSVs, net payable {total / 100:,.2f} yuan (target: under 60 s)"
        )
        print(
            f"the next day, {args.next_day} lines: {behind * 1000:.0f} ms with those lines "
            f"settled behind it, {alone * 1000:.0f} ms on an empty shop "
            f"({behind / alone:.2f}x; target <= 1.5x)"
        )


if __name__ == "__main__":
    main()
