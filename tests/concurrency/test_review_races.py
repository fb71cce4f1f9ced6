"""Four review_create calls at once for every line of completed orders, from real processes:
one review per line, counted once in its product's rating."""

from __future__ import annotations

import multiprocessing
import random

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway
from tests.functions.harness import sample

from .buyers import post

BUYER = "o-reviewer"
ADMIN = {"X-Dev-Operator": "op:admin"}
ORDERS = 6
CALLS_PER_LINE = 4


def _completed(shop, key: str) -> dict:
    data = {**sample("order_place"), "idempotency_key": key}
    status, placed = post(shop.url, "/fn/order_place", data, BUYER)
    assert status == 200, placed
    order = placed["data"]
    assert post(shop.url, "/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)[0] == 200
    assert shop.post(f"/dev/pay/{order['out_trade_no']}/succeed")[0] == 200
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": f"SF{key}"}
    assert shop.post("/fn/order_ship", ship, ADMIN)[0] == 200
    # WeChat holds the payment: the buyer confirms receipt in WeChat's page first.
    assert shop.post(f"/dev/wechat/confirm_receive/{order['out_trade_no']}")[0] == 200
    status, done = post(shop.url, "/fn/order_confirm", {"order_id": order["order_id"]}, BUYER)
    assert done["data"]["status"] == "COMPLETED", done
    return order


def test_concurrent_reviews_of_a_line_publish_one_and_count_it_once(tmp_path, gateway_store):
    shop = start_gateway(tmp_path, "dev", workers=4, db_uri=gateway_store)
    try:
        assert (
            post(
                shop.url, "/fn/consent_accept", {"version": "2026-01", "share_contact": True}, BUYER
            )[0]
            == 200
        )
        orders = [_completed(shop, f"review-race-{i:03d}") for i in range(ORDERS)]
        calls = [
            (
                shop.url,
                "/fn/review_create",
                {"order_id": o["order_id"], "sku_id": line["sku_id"], "rating": 5, "text": "好"},
                BUYER,
            )
            for o in orders
            for line in o["lines"]
            for _ in range(CALLS_PER_LINE)
        ]
        random.shuffle(calls)
        with multiprocessing.get_context("spawn").Pool(8) as pool:
            answers = pool.starmap(post, calls)
        published: dict[tuple[str, str], int] = {}
        for (_, _, body, _), (status, answer) in zip(calls, answers, strict=True):
            assert status in (200, 409), answer
            line = (body["order_id"], body["sku_id"])
            published[line] = published.get(line, 0) + (status == 200)
        assert set(published.values()) == {1}  # each line: one review published, once
        db = connect(shop.db_uri)
        lines = sum(len(o["lines"]) for o in orders)
        assert db.reviews.count_documents({"counted": True}) == lines
        for product_id in ("p-mango", "p-eggs"):
            rating = db.products.find_one({"_id": product_id})["rating"]
            assert rating == {"count": ORDERS, "sum": 5 * ORDERS}, (product_id, rating)
            assert (
                "ops" not in db.products.find_one({"_id": product_id})
                or not db.products.find_one({"_id": product_id})["ops"]
            )
    finally:
        stop_gateway(shop)
