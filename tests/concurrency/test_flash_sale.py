"""A flash sale through the dev gateway: real client processes, real worker processes."""

from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta

import pytest

from retail.common.clock import utcnow
from retail.inventory import audit_stock, split_level
from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from .buyers import post

SKU = "p-walnut-1"
ADDRESS = {
    "userName": "李四",
    "telNumber": "13900002222",
    "provinceName": "云南省",
    "cityName": "昆明市",
    "countyName": "官渡区",
    "detailInfo": "世纪城",
}


@pytest.fixture
def sale(tmp_path, gateway_store):
    gateway = start_gateway(tmp_path, "dev", workers=4, db_uri=gateway_store)
    connect(gateway.db_uri).stock.update_one(
        {"_id": f"{SKU}@central"}, {"$set": {"available": 50, "received": 50}}
    )
    yield gateway
    stop_gateway(gateway)


def _buyers(url, first, count, key=None):
    answers = []
    for n in range(first, first + count):
        buyer = f"o-buyer-{n if key is None else 0}"
        body = {
            "items": [{"sku_id": SKU, "qty": 1}],
            "address": {**ADDRESS, "detailInfo": f"世纪城{n}栋"},
            "idempotency_key": key or f"flash-sale-{n:05d}",
        }
        post(url, "/fn/consent_accept", {"version": "2026-01", "share_contact": True}, buyer)
        status, answer = post(url, "/fn/order_place", body, buyer)
        for _ in range(30):  # as a client does while its key's first call is still placing
            if answer["code"] != "UNAVAILABLE" or key is None:
                break
            time.sleep(answer["details"]["retry_after_seconds"])
            status, answer = post(url, "/fn/order_place", body, buyer)
        answers.append((status, answer["code"], (answer.get("data") or {}).get("order_id")))
    return answers


def level(db) -> tuple[int, int]:
    """(available, reserved) of the SKU's warehouse level, its buckets added up."""
    docs = list(db.stock.find({"sku_id": SKU, "location": "central"}))
    return sum(d["available"] for d in docs), sum(d["reserved"] for d in docs)


@pytest.mark.parametrize("buckets", [1, 4])
def test_200_buyers_from_8_processes_on_50_units(sale, buckets):
    """And with the level split into buckets (inventory/buckets.py): still every unit sold
    once, each bucket's books right."""
    db = connect(sale.db_uri)
    if buckets > 1:
        split_level(db, SKU, "central", buckets)
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        batches = pool.starmap(_buyers, [(sale.url, i * 25, 25) for i in range(8)])
    answers = [a for batch in batches for a in batch]
    assert sorted({(s, c) for s, c, _ in answers}) == [(200, "OK"), (409, "OUT_OF_STOCK")]
    assert sum(c == "OK" for _, c, _ in answers) == 50
    assert sum(c == "OUT_OF_STOCK" for _, c, _ in answers) == 150
    assert db.orders.count_documents({"status": "PENDING_PAYMENT"}) == 50
    if buckets > 1:  # the orders spread: no bucket took them all
        taken = {
            o["lines"][0].get("bucket", 0) for o in db.orders.find({"status": "PENDING_PAYMENT"})
        }
        assert len(taken) > 1
    _, product = post(sale.url, "/fn/catalog_product", {"product_id": "p-walnut"}, "o-look")
    assert product["data"]["skus"][0]["stock"] == 0
    assert audit_stock(db) == []

    db.orders.update_many(
        {"status": "PENDING_PAYMENT"}, {"$set": {"pay_deadline": utcnow() - timedelta(seconds=1)}}
    )
    _, first = post(sale.url, "/timer/order_expire", {}, "")
    _, again = post(sale.url, "/timer/order_expire", {}, "")
    assert first["data"]["processed"] == 50 and again["data"]["processed"] == 0
    assert level(db) == (50, 0)
    assert db.orders.count_documents({"status": "CANCELLED"}) == 50
    assert audit_stock(db) == []


def test_ten_simultaneous_retries_make_one_order(sale):
    """The calls that meet the first one still placing are told to look again in a second
    (how many do depends on the machine's speed); every one ends with the same order."""
    with multiprocessing.get_context("spawn").Pool(10) as pool:
        batches = pool.starmap(_buyers, [(sale.url, 0, 1, "same-key-for-all")] * 10)
    answers = [a for batch in batches for a in batch]
    assert {c for _, c, _ in answers} == {"OK"}
    assert len({order_id for _, _, order_id in answers}) == 1
    db = connect(sale.db_uri)
    assert db.orders.count_documents({}) == 1
    assert db.stock.find_one({"_id": f"{SKU}@central"})["reserved"] == 1
