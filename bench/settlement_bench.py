"""settlement_run over 100k order lines from 20 merchants on the embedded store, with the
CSVs going to an in-process COS (moto).

    .venv/bin/python bench/settlement_bench.py [--lines 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COS = "https://cos.ap-shanghai.myqcloud.com"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            RETAIL_ENV="dev",
            RETAIL_DB_URI=f"sqlite:///{tmp}/settle.db",
            MOTO_S3_CUSTOM_ENDPOINTS=COS,
            MOTO_ALLOW_NONEXISTENT_REGION="True",
            RETAIL_COS_BUCKET="statements",
            RETAIL_COS_ADDRESSING="path",
            RETAIL_COS_SECRET_ID="x",
            RETAIL_COS_SECRET_KEY="x",
        )
        sys.path.insert(0, str(ROOT / "layers" / "retail"))
        import boto3
        from moto import mock_aws

        from retail.common.database import database
        from retail.settlement import SettleDay, run_settlement
        from retail.store.indexes import apply_indexes

        db = database()
        apply_indexes(db, json.loads((ROOT / "infra/indexes.json").read_text()))
        db.merchants.insert_many(
            [
                {"_id": f"m{i:02d}", "name": f"merchant {i}", "commission_rate_bp": 300 + 25 * i}
                for i in range(20)
            ]
        )
        day_start = datetime(2026, 11, 23, tzinfo=timezone(timedelta(hours=8)))
        orders, per_order = [], 3
        for n in range(args.lines // per_order):
            lines = [
                {
                    "merchant_id": f"m{(n + k) % 20:02d}",
                    "sku_id": f"sku-{k}",
                    "title": "goods",
                    "qty": 1,
                    "amount": 990 + 10 * ((n + k) % 97),
                }
                for k in range(per_order)
            ]
            orders.append(
                {
                    "_id": f"O{n:08d}",
                    "openid": f"o{n}",
                    "idempotency_key": f"k{n}",
                    "lines": lines,
                    "completed_at": day_start + timedelta(seconds=n % 86_000),
                }
            )
        started = time.perf_counter()
        for first in range(0, len(orders), 5_000):
            db.orders.insert_many(orders[first : first + 5_000])
        loaded = time.perf_counter() - started
        with mock_aws():
            boto3.client("s3", region_name="ap-shanghai", endpoint_url=COS).create_bucket(
                Bucket="statements", CreateBucketConfiguration={"LocationConstraint": "ap-shanghai"}
            )
            started = time.perf_counter()
            summary = run_settlement(SettleDay(day=day_start.date()))
            took = time.perf_counter() - started
        total = sum(s["net"] for s in db.statements.find({}, {"net": 1}))
        print(
            f"order lines: {len(orders) * per_order:,} from 20 merchants (loaded in {loaded:.1f}s)"
        )
        print(
            f"settlement_run: {took:.1f}s, {summary.statements_written} statements, "
            f"{summary.csv_exported} CSVs, net payable {total / 100:,.2f} yuan "
            f"(target: under 60 s)"
        )


if __name__ == "__main__":
    main()
