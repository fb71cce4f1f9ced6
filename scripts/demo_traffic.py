"""The demo scenario: a few weeks of shop life played through the real cloud functions, so
the console has something to show (dev only; `make dev` runs it on the demo catalogue).

Each past day is played with this process's clock moved back (retail.common.clock.travel):
buyers arrive from different WeChat scenes, browse, put things in the cart, accept the
privacy policy, order, pay in the WeChat Pay sandbox (prepay, then its signed notification,
delivered in-process to payment_notify), get their goods, answer the NPS survey, review,
complain, share; a few ask for refunds, which the sandbox completes. Today's work is left
open, as a shop has it each morning: paid orders to ship, pickups waiting at the stores, a
refund after shipping to review, an order held by the risk rules. Then every day is rolled
up, recommendations rebuilt and the statements of every day that has ended
(Asia/Shanghai; never today) closed, their CSVs exported to the dev object storage
(scripts/dev_storage.py), which the dev gateway fills again when it starts.
Deterministic for a given --seed.

    RETAIL_ENV=dev .venv/bin/python scripts/demo_traffic.py [--days 21] [--buyers 40]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]
sys.path.insert(0, str(ROOT / "scripts"))

from demo.platform import as_admin, call, timer  # noqa: E402
from demo.shoppers import leave_work, play_day  # noqa: E402
from dev_storage import start_dev_storage  # noqa: E402
from retail.common.clock import day_of, travel, utcnow  # noqa: E402
from retail.common.database import database  # noqa: E402
from retail.common.settings import settings  # noqa: E402
from retail.operators import create_operator  # noqa: E402

ADMIN, ADMIN_PASSWORD = "admin", "demo-admin-password"
MERCHANT, MERCHANT_PASSWORD = "huaxia", "demo-merchant-password"


def setup(days: int) -> None:
    """The two console operators, an experiment and a banner slot for the whole scenario; in
    marketplace mode, each merchant's sub-merchant at the local WeChat Pay first."""
    db = database()
    if settings().payment_mode == "marketplace":
        onboard_merchants(db)
    for operator_id, role, password in (
        (ADMIN, "admin", ADMIN_PASSWORD),
        (MERCHANT, "merchant:m-huaxia", MERCHANT_PASSWORD),
    ):
        if db.operators.find_one({"_id": operator_id}) is None:
            create_operator(db, operator_id, role, password)
    as_admin(
        "experiment_save",
        {
            "experiment_id": "share-copy",
            "salt": "demo",
            "metric": "share",
            "arms": [
                {"name": "control", "weight": 1, "payload": {"title": "好物分享"}},
                {"name": "discount", "weight": 1, "payload": {"title": "我在这里买到了好价"}},
            ],
        },
    )
    start = utcnow()
    as_admin(
        "ad_slot_save",
        {
            "slot_id": "home-banner-mango",
            "position": "home_banner",
            "merchant_id": "m-huaxia",
            "product_id": "p-mango",
            "title": "华坪芒果季",
            "image_key": "ads/mango-season.jpg",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=days + 30)).isoformat(),
            "price": 50000,
        },
    )


def onboard_merchants(db: Any) -> None:
    """Marketplace mode: every merchant gets a sub-merchant (the local WeChat Pay takes any
    10-digit sub_mchid as this platform's, ../shared/CONTRACT.md) and its goods, which the
    catalogue left off sale until it could be paid, go on sale."""
    for number, merchant in enumerate(db.merchants.find({}, sort=[("_id", 1)]), start=1):
        saved = {
            "merchant_id": merchant["_id"],
            "name": merchant["name"],
            "commission_rate_bp": min(merchant["commission_rate_bp"], 3000),
            "sub_mchid": f"{1_900_000_000 + number}",
        }
        as_admin("merchant_save", saved)
        for product in db.products.find({"merchant_id": merchant["_id"]}, {"_id": 1}):
            as_admin("product_publish", {"product_id": product["_id"], "on_sale": True})


def play(rng: random.Random, days: int, buyers: list[str]) -> None:
    """Every day from `days` ago to today, one progress line a week."""
    shares = {
        b: call("share_create", {"product_id": "p-mango"}, b)["data"]["share_code"]
        for b in buyers[:8]
    }
    for offset in range(days, -1, -1):
        travel(-timedelta(days=offset))
        play_day(rng, days - offset, buyers, shares, today=offset == 0)
        if offset == 0:
            leave_work(rng, buyers)
        if (days - offset) % 7 == 6 or offset == 0:
            orders = database().orders.count_documents({})
            print(f"demo: played day {days - offset + 1}/{days + 1}, {orders} orders", flush=True)
    travel(timedelta(0))


def settle_ended_days(first: date) -> tuple[int, int]:
    """Settle every business day (Asia/Shanghai) from `first` that has ended with its grace,
    never today: a statement is closed once, so settling today would leave out the rest of
    its sales (in the grace after midnight, yesterday waits too). Returns the CSVs exported
    and the exports that failed."""
    exported = failed = 0
    day = first
    grace = timedelta(seconds=settings().RETAIL_SETTLEMENT_GRACE_SECONDS)
    while day < day_of(utcnow() - grace):
        summary = timer("settlement_run", {"day": day.isoformat()})["data"]
        exported, failed = exported + summary["csv_exported"], failed + summary["export_failed"]
        day += timedelta(days=1)
    return exported, failed


def close_days(days: int) -> tuple[int, int]:
    """Roll up each day, settle the days that have ended, rebuild recommendations, as the
    timers would. Returns the statement CSVs exported and failed."""
    print("demo: rolling up the analytics, settling statements, rebuilding recommendations")
    today = day_of(utcnow())
    for offset in range(days, -1, -1):
        timer("analytics_rollup", {"day": (today - timedelta(days=offset)).isoformat()})
    exported, failed = settle_ended_days(today - timedelta(days=days))
    if settings().payment_mode == "marketplace":
        timer("profit_sharing_run")
    timer("recommend_rebuild")
    return exported, failed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--buyers", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not settings().is_dev:
        sys.exit("demo_traffic.py plays fake shoppers: it runs only with RETAIL_ENV=dev")
    start_dev_storage()  # the statements it settles export their CSVs
    db = database()
    if db.events.find_one({}, {"_id": 1}) is not None:
        print(f"demo: the store already has traffic; console sign-in {ADMIN} / {ADMIN_PASSWORD}")
        return
    print(f"demo: playing {args.days + 1} days of {args.buyers} shoppers through the functions")
    travel(-timedelta(days=args.days))
    setup(args.days)
    play(random.Random(args.seed), args.days, [f"o-demo-{n:03d}" for n in range(args.buyers)])
    exported, failed = close_days(args.days)
    orders, events = db.orders.count_documents({}), db.events.count_documents({})
    print(
        f"demo: {args.days + 1} days, {args.buyers} buyers, {orders} orders, {events} events, "
        f"{exported} statement CSVs exported ({failed} failed); "
        f"console sign-in {ADMIN} / {ADMIN_PASSWORD} "
        f"(merchant {MERCHANT} / {MERCHANT_PASSWORD})"
    )


if __name__ == "__main__":
    main()
