"""What a year of history costs: every cloud function and every timer, timed on a new shop and
on the same shop with a year of trade behind it (scripts/year_old_shop.py), and the ratio.

Each round is one buyer's visit through every buyer function (browse, cart, order, pay
through the WeChat Pay sandbox's signed notification, cancel, confirm, review, refund...), an
operator's pass through every operator function, and every timer, all routed as the dev
gateway routes them; a function's time is the median of its rounds. A timer's first run on
the year-old shop may find a year's worth of real work (lapsed buyers to win back, days to
roll up): that run is printed apart, with the items it handled, and the ratio is taken over
the runs after it, which find what a timer finds each day.

    .venv/bin/python bench/history_bench.py [--orders 200000] [--events 1000000]
        [--users 100000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]
sys.path.insert(0, str(ROOT / "scripts"))

TIMERS = (
    "order_expire",
    "order_repair",
    "order_autoconfirm",
    "payment_reconcile",
    "group_expire",
    "settlement_run",
    "analytics_rollup",
    "coupon_lapsed",
    "recommend_rebuild",
    "housekeeping_run",
    "shipping_sync",
    "profit_sharing_run",
    "bill_reconcile",
)
ADDRESS = {
    "userName": "张三",
    "telNumber": "13800001111",
    "provinceName": "云南省",
    "cityName": "昆明市",
    "countyName": "五华区",
    "detailInfo": "南屏街88号",
    "postalCode": "650000",
}
ADMIN = "bench:admin"
SHARED_DAYS = 90  # the longest window a report or timer reads: recommend_rebuild's


class Shop:
    """Calls into one store, routed as the dev gateway routes them, each one timed."""

    def __init__(self, uri: str) -> None:
        from gateway.functions import FunctionRegistry

        self.uri = uri
        self.registry = FunctionRegistry()
        self.times: dict[str, list[float]] = {}
        self.codes: dict[str, str] = {}
        self.first: dict[str, Any] = {}  # what each timer's first run handled
        self.items: dict[str, list[int]] = {}  # what each measured timer run handled
        self.measuring = False

    def enter(self) -> None:
        """The functions use this shop's store from now on."""
        from retail.common.database import database, reset_database
        from retail.common.settings import reset_settings

        os.environ["RETAIL_DB_URI"] = self.uri
        reset_settings()
        reset_database()
        database()

    def post(self, path: str, data: Any, headers: dict[str, str]) -> dict[str, Any]:
        from gateway.routes import dispatch

        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        started = time.perf_counter()
        reply = dispatch(self.registry, True, "POST", path, headers, body)
        elapsed = time.perf_counter() - started
        name = path.rsplit("/", 1)[-1]
        if self.measuring:
            self.times.setdefault(name, []).append(elapsed * 1000)
        answer: dict[str, Any] = json.loads(reply.body) if reply.body else {}
        self.codes[name] = str(answer.get("code", reply.status))
        return answer

    def buyer(self, name: str, data: dict[str, Any], openid: str) -> dict[str, Any]:
        return self.post(f"/fn/{name}", data, {"x-dev-openid": openid})

    def operator(self, name: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.post(f"/fn/{name}", data, {"x-dev-operator": ADMIN})

    def timer(self, name: str) -> dict[str, Any]:
        answer = self.post(f"/timer/{name}", b"", {})
        if self.measuring:
            self.items.setdefault(name, []).append(_items(answer.get("data")))
        return answer

    def push(self, query: dict[str, str], body: str) -> int:
        """WeChat's message push to platform_event (it answers text, not the envelope)."""
        from gateway.routes import dispatch

        path = f"/http/platform_event?{urlencode(query)}"
        started = time.perf_counter()
        reply = dispatch(
            self.registry, True, "POST", path, {"content-type": "application/json"}, body.encode()
        )
        if self.measuring:
            self.times.setdefault("platform_event", []).append(
                (time.perf_counter() - started) * 1000
            )
        self.codes["platform_event"] = "OK" if reply.status == 200 else str(reply.status)
        return reply.status

    def notify(self, url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
        answer = self.post(urlsplit(url).path, body.encode(), headers)
        return [200 if answer.get("code") in (None, "OK", "SUCCESS") else 500] * times


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "tests" / "events" / f"{name}.json").read_text())
    return data


def visit(shop: Shop, buyer: str, round_no: int) -> None:
    """One buyer's visit through every buyer function, and an operator's part in it."""
    from retail_dev import wechat_shipping
    from retail_dev import wechatpay_sandbox as sandbox

    for name in (
        "user_login",
        "user_me",
        "catalog_browse",
        "catalog_product",
        "store_nearby",
        "ad_list",
        "experiment_assign",
        "recommend",
        "review_list",
        "cart_update",
        "cart_list",
        "coupon_list",
        "coupon_claim",
        "share_create",
        "track",
        "subscribe_accept",
        "feedback_create",
    ):
        shop.buyer(name, sample(name), buyer)
    from retail.common.settings import settings

    version = settings().RETAIL_PRIVACY_POLICY_VERSION
    shop.buyer("consent_accept", {"version": version, "share_contact": True}, buyer)
    # each round's buyer at an address and phone of its own: the history's copies of the demo
    # orders share the sample's, and an address many accounts used today is held for review
    address = {**ADDRESS, "telNumber": f"1390000{round_no:04d}", "detailInfo": f"{round_no} 号"}
    order = {**sample("order_place"), "idempotency_key": f"bench-{round_no}-a", "address": address}
    shop.buyer("order_preview", {k: v for k, v in order.items() if k != "idempotency_key"}, buyer)
    answer = shop.buyer("order_place", order, buyer)
    assert answer["code"] == "OK", answer
    placed = answer["data"]
    paid = {"order_id": placed["order_id"]}
    shop.buyer("payment_prepay", paid, buyer)
    sandbox.pay(placed["out_trade_no"], send=shop.notify)
    shop.buyer("order_list", {}, buyer)
    shop.buyer("order_get", paid, buyer)
    shipped = shop.operator("order_ship", {**sample("order_ship"), **paid})
    assert shipped["code"] == "OK", shipped
    # WeChat holds the payment: the buyer confirms in WeChat's page, whose push completes it.
    wechat_shipping.confirm_receive(placed["out_trade_no"], send=shop.push)
    shop.buyer("order_confirm", paid, buyer)
    shop.buyer("review_create", {**sample("review_create"), **paid}, buyer)
    shop.buyer("survey_answer", {**sample("survey_answer"), **paid}, buyer)
    shop.buyer("refund_request", {**sample("refund_request"), **paid}, buyer)
    shop.operator("refund_review", {**sample("refund_review"), **paid})
    other = {**order, "idempotency_key": f"bench-{round_no}-b"}
    unpaid = {"order_id": shop.buyer("order_place", other, buyer)["data"]["order_id"]}
    shop.buyer("order_cancel", unpaid, buyer)
    shop.buyer("user_export", {}, buyer)


OPERATOR_CALLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("order_search", {}),
    ("order_search", {"status": "COMPLETED"}),
    ("order_inspect", {}),
    ("statement_list", {}),
    ("commission_list", {}),
    ("risk_queue", {}),
    ("feedback_queue", {}),
    ("review_queue", {}),
    ("survey_report", {}),
    ("analytics_sales", {}),
    ("analytics_funnel", {}),
    ("analytics_segments", {}),
    ("analytics_active", {}),
    ("analytics_channels", {}),
    ("analytics_retention", {}),
    ("ad_report", {}),
    ("experiment_results", {}),
    ("metrics_show", {}),
    ("merchant_list", {}),
    ("coupon_template_list", {}),
    ("experiment_list", {}),
)


def operate(shop: Shop) -> None:
    for name, changes in OPERATOR_CALLS:
        shop.operator(name, {**sample(name), **changes})


def play(uris: dict[str, str], rounds: int) -> dict[str, Shop]:
    """A warm-up round on each shop (imports, caches, and each timer's first run, whose work
    is kept apart), then the measured rounds, each shop in turn within a round so that both
    see the same machine."""
    shops = {label: Shop(uri) for label, uri in uris.items()}
    for round_no in range(rounds + 1):
        for shop in shops.values():
            shop.enter()
            shop.measuring = round_no > 0
            visit(shop, f"o-bench-{round_no:03d}", round_no)
            operate(shop)
            for name in TIMERS:
                answer = shop.timer(name)
                if round_no == 0:
                    shop.first[name] = answer.get("data")
    return shops


def build_shops(directory: Path, orders: int, events: int, users: int) -> tuple[str, str, str]:
    """Two shops with the same last SHARED_DAYS of trade (that share of the history, over the
    demo catalogue), the second also with the rest of the year before it: what differs is
    only history older than any window a report or timer reads."""
    from year_old_shop import TEMPLATE_DAYS, Template, build_template, grow

    from retail.catalog import load_catalog
    from retail.store import connect
    from retail.store.indexes import apply_indexes

    new = directory / "new.db"
    db = connect(f"sqlite:///{new}")
    apply_indexes(db, json.loads((ROOT / "infra" / "indexes.json").read_text()))
    load_catalog(json.loads((ROOT / "infra" / "seed" / "demo.json").read_text()), db)
    started = time.monotonic()
    template = Template(build_template(directory, TEMPLATE_DAYS, 40, 1))
    recent_days = SHARED_DAYS - template.days
    month = [max(1, n * SHARED_DAYS // 365) for n in (orders, events, users)]
    recent = grow(db, template, *month, days=(1, recent_days))
    db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    old = directory / "old.db"
    shutil.copyfile(new, old)
    rest = [total - part for total, part in zip((orders, events, users), month, strict=True)]
    older = grow(
        connect(f"sqlite:///{old}"),
        template,
        *rest,
        days=(SHARED_DAYS + 1, 365 - template.days),
        first_copy=10**5,
    )
    written = {k: recent.get(k, 0) + older.get(k, 0) for k in {*recent, *older}}
    note = (
        f"year-old shop: {written.get('orders', 0)} orders ({recent.get('orders', 0)} in the "
        f"last {SHARED_DAYS} days, which the new shop holds too), "
        f"{written.get('events', 0)} events, {written.get('users', 0)} users, "
        f"written in {time.monotonic() - started:.0f} s"
    )
    return f"sqlite:///{new}", f"sqlite:///{old}", note


def report(new: Shop, old: Shop) -> float:
    """The table; returns the worst ratio of what history costs. A timer whose own work
    grew with the year (it handles more items each run on the year-old shop) says so and is
    measured per item: that is work, not the cost of history."""
    print(f"{'call':<24}{'new shop ms':>12}{'year-old ms':>13}{'ratio':>8}  note")
    worst = 0.0
    for name in sorted(new.times, key=lambda n: (n in TIMERS, n)):
        a, b = statistics.median(new.times[name]), statistics.median(old.times[name])
        ratio = b / a if a else float("inf")
        grew = _work_grew(new.items.get(name), old.items.get(name))
        if grew is None:
            worst = max(worst, ratio)
        note = ""
        if new.codes.get(name) != old.codes.get(name):
            note = f"answers differ: {new.codes.get(name)} / {old.codes.get(name)}"
        elif grew is not None:
            note = f"its own work grew: {grew[0]} items a run, {b / grew[0]:.2f} ms an item"
        elif name in TIMERS:
            note = f"first run on the year-old shop: {_handled(old.first.get(name))}"
        print(f"{name:<24}{a:>12.1f}{b:>13.1f}{ratio:>7.2f}x  {note}")
    return worst


def _items(summary: Any) -> int:
    """What a timer run handled: the items it looked at (`scanned`), or those it processed,
    skipped or failed (a win-back run may grant nothing and still look at 10,000 buyers)."""
    if not isinstance(summary, dict):
        return 0
    if isinstance(summary.get("scanned"), int):
        return int(summary["scanned"])
    return sum(
        summary.get(k, 0)
        for k in ("processed", "skipped", "failed")
        if isinstance(summary.get(k), int)
    )


def _work_grew(new: list[int] | None, old: list[int] | None) -> tuple[int] | None:
    """The year-old shop's items a run, when it handles more than the new shop's 1.5 times."""
    if not new or not old:
        return None
    handled = int(statistics.median(old))
    return (handled,) if handled > 1.5 * max(statistics.median(new), 1) else None


def _handled(summary: Any) -> str:
    if not isinstance(summary, dict):
        return "-"
    counted = {k: v for k, v in summary.items() if isinstance(v, int) and v}
    return ", ".join(f"{k} {v}" for k, v in counted.items()) or "nothing to do"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ.update(RETAIL_ENV="dev", RETAIL_LOG_LEVEL="ERROR")
        from dev_storage import start_dev_storage

        start_dev_storage()
        new_uri, old_uri, note = build_shops(Path(scratch), args.orders, args.events, args.users)
        print(note, flush=True)
        shops = play({"new": new_uri, "old": old_uri}, args.rounds)
        worst = report(shops["new"], shops["old"])
        print(
            f"worst ratio {worst:.2f}x over {args.rounds} rounds (target <= 1.5x; timers "
            "whose own work grew are measured per item instead)"
        )


if __name__ == "__main__":
    main()
