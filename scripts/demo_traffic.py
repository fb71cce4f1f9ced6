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
import json
import random
import sys
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "retail"), str(ROOT / "devkit")]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_content import ADDRESS, FEEDBACK, REVIEWS, SCENES, SKUS  # noqa: E402

from dev_storage import start_dev_storage  # noqa: E402
from gateway.functions import FunctionRegistry  # noqa: E402
from gateway.routes import dispatch  # noqa: E402
from retail.common.clock import day_of, travel, utcnow  # noqa: E402
from retail.common.database import database  # noqa: E402
from retail.common.settings import settings  # noqa: E402
from retail.operators import create_operator  # noqa: E402
from retail_dev import wechat_sandbox  # noqa: E402
from retail_dev import wechatpay_sandbox as sandbox  # noqa: E402

ADMIN, ADMIN_PASSWORD = "admin", "demo-admin-password"
MERCHANT, MERCHANT_PASSWORD = "huaxia", "demo-merchant-password"
REGISTRY = FunctionRegistry()


def _post(
    path: str, body: bytes, headers: dict[str, str], peer: str = "127.0.0.1"
) -> dict[str, Any]:
    """One call routed exactly as the dev gateway routes it, without a server; `peer` is the
    client address the platform would see."""
    reply = dispatch(REGISTRY, True, "POST", path, headers, body, peer)
    answer: dict[str, Any] = json.loads(reply.body)
    return answer


def call(name: str, data: Any, openid: str | None = None) -> dict[str, Any]:
    """A CloudBase call by `openid` (anonymous without one), each buyer from its own network."""
    headers = {"x-dev-openid": openid} if openid else {}
    network = zlib.crc32((openid or "").encode())
    peer = f"10.9.{network // 250 % 250}.{network % 250 + 1}"
    return _post(f"/fn/{name}", json.dumps(data).encode(), headers, peer)


def as_admin(name: str, data: Any) -> dict[str, Any]:
    return _post(f"/fn/{name}", json.dumps(data).encode(), {"x-dev-operator": "demo:admin"})


def notify(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
    """The sandbox's signed notifications, delivered to our notify route in-process."""
    path = urlsplit(url).path
    return [dispatch(REGISTRY, True, "POST", path, headers, body.encode()).status] * times


def push(query: dict[str, str], body: str) -> int:
    """The local WeChat's message push, delivered to platform_event in-process."""
    path = f"/http/platform_event?{urlencode(query)}"
    headers = {"content-type": "application/json"}
    return dispatch(REGISTRY, True, "POST", path, headers, body.encode()).status


def receive(order: dict[str, Any], buyer: str) -> None:
    """The buyer confirms receipt: in WeChat's component where WeChat holds the payment (the
    back end says so), whose settlement push completes the order, then in the app."""
    confirmed = call("order_confirm", {"order_id": order["order_id"]}, buyer)
    if confirmed.get("details", {}).get("reason") == "CONFIRM_AT_WECHAT":
        wechat_sandbox.confirm_receive(order["out_trade_no"], send=push)
        call("order_confirm", {"order_id": order["order_id"]}, buyer)


def pay(order: dict[str, Any], buyer: str) -> bool:
    """The buyer pays in the WeChat Pay sandbox: prepay, then its verified notification."""
    if call("payment_prepay", {"order_id": order["order_id"]}, buyer)["code"] != "OK":
        return False
    return sandbox.pay(order["out_trade_no"], send=notify) == [200]


def timer(name: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
    return _post(f"/timer/{name}", json.dumps(message).encode() if message else b"", {})


def play_day(
    rng: random.Random, day_no: int, buyers: list[str], shares: dict[str, str], today: bool
) -> None:
    for n, buyer in enumerate(rng.sample(buyers, k=max(3, len(buyers) * 2 // 3))):
        skus = visit(rng, buyer, shares)
        if rng.random() < 0.45:
            buy(rng, day_no, n, buyer, skus, today)
        if rng.random() < 0.05:
            kind, text = rng.choice(FEEDBACK)
            call("feedback_create", {"kind": kind, "text": text}, buyer)


def visit(rng: random.Random, buyer: str, shares: dict[str, str]) -> list[str]:
    """Arrive by a scene, get experiment arms, see the banner, browse; maybe share."""
    scene = rng.choice(SCENES)
    call("user_login", {"scene": scene}, buyer)
    call("experiment_assign", {}, buyer)
    call("ad_list", {"position": "home_banner"}, buyer)
    skus = rng.sample(SKUS, k=rng.randint(1, 3))
    events = [{"type": "page_view", "scene": scene, "page": "pages/index/index"}]
    events += [{"type": "product_view", "product_id": s.rsplit("-", 1)[0]} for s in skus]
    if buyer in shares and rng.random() < 0.3:
        events.append({"type": "share", "page": "pages/product/detail"})
    others = [code for owner, code in shares.items() if owner != buyer]
    if others and scene in (1007, 1008):
        events.append({"type": "share_open", "share_code": rng.choice(others)})
    if rng.random() < 0.2:
        events.append({"type": "ad_click", "slot_id": "home-banner-mango"})
    if rng.random() < 0.6:
        events += [{"type": "add_to_cart", "product_id": s.rsplit("-", 1)[0]} for s in skus]
    call("track", {"events": events}, buyer)
    return skus


def buy(rng: random.Random, day_no: int, n: int, buyer: str, skus: list[str], today: bool) -> None:
    """Consent, order, then cancel, leave unpaid, or pay and carry on (today's paid orders
    wait to be shipped)."""
    version = settings().RETAIL_PRIVACY_POLICY_VERSION
    call("consent_accept", {"version": version, "share_contact": True}, buyer)
    address = {**ADDRESS, "telNumber": f"1390000{n:04d}", "detailInfo": f"翠湖路{n}号"}
    items = [{"sku_id": s, "qty": rng.randint(1, 2)} for s in skus]
    key = f"demo-{day_no:03d}-{buyer}"
    placed = call(
        "order_place", {"items": items, "address": address, "idempotency_key": key}, buyer
    )
    if placed["code"] != "OK":
        return
    order = placed["data"]
    roll = rng.random()
    if roll < 0.1:
        call("order_cancel", {"order_id": order["order_id"]}, buyer)
    elif roll < 0.85:
        if not pay(order, buyer):
            return
        if rng.random() < 0.06:
            refund(order, buyer)
        elif not today:
            deliver(rng, day_no, n, order, buyer, skus[0])


def refund(order: dict[str, Any], buyer: str) -> None:
    """Asked before shipping: sent to the sandbox at once, which then finishes it and
    notifies us."""
    call("refund_request", {"order_id": order["order_id"], "reason": "不想要了"}, buyer)
    for record in database().refunds.find({"order_id": order["order_id"]}):
        sandbox.complete_refund(record["_id"], "SUCCESS", send=notify)


def deliver(
    rng: random.Random, day_no: int, n: int, order: dict[str, Any], buyer: str, sku: str
) -> None:
    """Shipped, received; then perhaps the NPS survey and a review."""
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": f"SF{day_no:03d}{n:06d}"}
    as_admin("order_ship", ship)
    receive(order, buyer)
    if rng.random() < 0.5:
        score = rng.choice([10, 9, 9, 8, 7, 6, 3])
        call("survey_answer", {"order_id": order["order_id"], "score": score}, buyer)
    if rng.random() < 0.4:
        rating = rng.choice([5, 5, 4, 4, 3, 2])
        text = REVIEWS[rating][(day_no + n) % len(REVIEWS[rating])]
        review = {"order_id": order["order_id"], "sku_id": sku, "rating": rating, "text": text}
        call("review_create", review, buyer)


def leave_work(rng: random.Random, buyers: list[str]) -> None:
    """Today's open work in every queue: pickups waiting at a store, a refund after shipping
    for an operator to review, and an order held because a fourth account used one address
    today (orders to ship are today's paid ones, left by `buy`)."""
    version = settings().RETAIL_PRIVACY_POLICY_VERSION
    for n, buyer in enumerate(buyers[:3]):
        items = [{"sku_id": "p-eggs-1", "qty": 1 + n % 2}]
        key = f"demo-pickup-{buyer}"
        pickup = {
            "items": items,
            "delivery": "pickup",
            "store_id": "s-nanping",
            "idempotency_key": key,
        }
        placed = call("order_place", pickup, buyer)
        if placed["code"] == "OK":
            pay(placed["data"], buyer)
    reviewer = buyers[3]
    call("consent_accept", {"version": version, "share_contact": True}, reviewer)
    asked = call(
        "order_place",
        {
            "items": [{"sku_id": "p-milk-1", "qty": 1}],
            "address": {**ADDRESS, "telNumber": "13900009999", "detailInfo": "青年路9号"},
            "idempotency_key": f"demo-return-{reviewer}",
        },
        reviewer,
    )
    if asked["code"] == "OK" and pay(asked["data"], reviewer):
        order_id = asked["data"]["order_id"]
        as_admin(
            "order_ship", {"order_id": order_id, "carrier": "SF", "tracking_no": "SF999000001"}
        )
        call("refund_request", {"order_id": order_id, "reason": "牛奶包装破损"}, reviewer)
    shared = {**ADDRESS, "telNumber": "13900008888", "detailInfo": "同一个地址1号"}
    for n, buyer in enumerate(buyers[4:8]):  # the fourth account at one address is held
        call("consent_accept", {"version": version, "share_contact": True}, buyer)
        key = f"demo-shared-{buyer}"
        items = [{"sku_id": rng.choice(SKUS), "qty": 1}]
        placed = call(
            "order_place", {"items": items, "address": shared, "idempotency_key": key}, buyer
        )
        if placed["code"] == "OK" and n < 3:
            pay(placed["data"], buyer)


def setup(days: int) -> None:
    """The two console operators, an experiment and a banner slot for the whole scenario."""
    db = database()
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
