"""A day of the demo's shoppers: arriving, browsing, buying, paying, receiving, reviewing,
asking for refunds; and the open work a shop has each morning (`leave_work`)."""

from __future__ import annotations

import random
from typing import Any

from retail.common.database import database
from retail.common.settings import settings
from retail_dev import wechatpay_sandbox as sandbox

from .content import ADDRESS, FEEDBACK, REVIEWS, SCENES, SKUS
from .platform import as_admin, call, notify, pay, receive


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
