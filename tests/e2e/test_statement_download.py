"""Statements in dev, end to end: the dev gateway starts its own S3-compatible store (moto, on
loopback), settlement_run exports a closed day's CSVs there, and the link statement_list
gives downloads the CSV, also after the gateway restarts over the same store; the demo
scenario settles only the days that have ended."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

from retail.common.clock import day_of, utcnow
from retail.common.settings import settings
from retail.store import connect

from ..functions.harness import sample
from .conftest import Gateway, start_gateway, stop_gateway

ROOT = Path(__file__).resolve().parents[2]


def last_settleable_day():
    """The latest business day that has ended with settlement's grace: yesterday, or the day
    before in the grace after midnight (Asia/Shanghai)."""
    grace = timedelta(seconds=settings().RETAIL_SETTLEMENT_GRACE_SECONDS)
    return day_of(utcnow() - grace) - timedelta(days=1)


BUYER = {"X-Dev-Openid": "o-statement"}
ADMIN = {"X-Dev-Operator": "op:admin"}


def completed_order(shop: Gateway) -> dict:
    """Placed, paid (the sandbox sends WeChat Pay's notification), shipped and received."""
    shop.post("/fn/consent_accept", {"version": "2026-01", "share_contact": True}, BUYER)
    data = {**sample("order_place"), "idempotency_key": "statement-key-001"}
    order = shop.post("/fn/order_place", data, BUYER)[1]["data"]
    assert shop.post("/fn/payment_prepay", {"order_id": order["order_id"]}, BUYER)[0] == 200
    assert shop.post(f"/dev/pay/{order['out_trade_no']}/succeed")[0] == 200
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF0000000001"}
    assert shop.post("/fn/order_ship", ship, ADMIN)[0] == 200
    # WeChat holds the payment: the buyer confirms in WeChat's component first.
    assert shop.post(f"/dev/wechat/confirm_receive/{order['out_trade_no']}")[0] == 200
    status, confirmed = shop.post("/fn/order_confirm", {"order_id": order["order_id"]}, BUYER)
    assert status == 200 and confirmed["data"]["status"] == "COMPLETED", confirmed
    return confirmed["data"]


def downloads(shop: Gateway, day: str) -> dict[str, str]:
    """Each statement of `day` that has a link: merchant -> the CSV behind the link."""
    status, answer = shop.post("/fn/statement_list", {"limit": 50}, ADMIN)
    assert status == 200, answer
    found = {}
    for statement in answer["data"]["statements"]:
        if statement["day"] == day:
            assert statement["download"].startswith("http://127.0.0.1:"), statement
            with urllib.request.urlopen(statement["download"], timeout=10) as response:
                found[statement["merchant_id"]] = response.read().decode("utf-8-sig")
    return found


def test_a_closed_day_is_settled_and_its_csv_downloads_from_the_link(tmp_path):
    shop = start_gateway(tmp_path, "dev", workers=2)
    try:
        csvs, day = settle_yesterday(shop)
    finally:
        stop_gateway(shop)
    again = start_gateway(tmp_path, "dev", workers=2)  # its storage is in memory: refilled
    try:
        assert downloads(again, day) == csvs
    finally:
        stop_gateway(again)


def settle_yesterday(shop: Gateway) -> tuple[dict[str, str], str]:
    order = completed_order(shop)
    settleable = last_settleable_day()
    yesterday = settleable.isoformat()
    db = connect(shop.db_uri)
    days_back = (day_of(utcnow()) - settleable).days
    db.orders.update_one(  # it completed that day: the gateway's clock cannot be moved
        {"_id": order["order_id"]},
        {"$set": {"completed_at": utcnow() - timedelta(days=days_back)}},
    )
    message = json.dumps({"day": yesterday}).encode()
    status, settled = shop.post("/timer/settlement_run", raw=message)
    summary = settled["data"]
    assert status == 200 and summary["statements_written"] == db.merchants.count_documents({})
    assert summary["csv_exported"] == summary["statements_written"]
    assert (summary["export_failed"], summary["failed"]) == (0, 0)
    csvs = downloads(shop, yesterday)
    assert len(csvs) == summary["statements_written"]
    sellers = {line["merchant_id"] for line in order["lines"]}
    assert {m for m, text in csvs.items() if order["order_id"] in text} == sellers
    for merchant, text in csvs.items():
        net = db.statements.find_one({"_id": f"{merchant}:{yesterday}"})["net"]
        assert text.startswith("kind,order_id,sku_id")
        assert text.splitlines()[-1] == f"net_payable_fen,,,,,{net},,"
    return csvs, yesterday


def test_the_demo_settles_only_days_that_have_ended_and_exports_their_csvs(tmp_path):
    db_uri = f"sqlite:///{tmp_path}/demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WX_", "RETAIL_COS_"))}
    env.update(RETAIL_ENV="dev", RETAIL_DB_URI=db_uri, RETAIL_LOG_LEVEL="WARNING")
    for script in (["init_db.py"], ["seed.py", str(ROOT / "infra" / "seed" / "demo.json")]):
        run = [sys.executable, str(ROOT / "scripts" / script[0]), *script[1:]]
        subprocess.run(run, env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    demo = [
        sys.executable,
        str(ROOT / "scripts" / "demo_traffic.py"),
        "--days",
        "2",
        "--buyers",
        "6",
    ]
    played = subprocess.run(
        demo, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert played.returncode == 0, played.stderr
    today = day_of(utcnow())  # read after the run: the demo settles days before its own today
    db = connect(db_uri)
    days = {s["day"] for s in db.statements.find({}, {"day": 1})}
    # Never today (sales still come), nor yesterday in the grace after midnight.
    assert max(days) == last_settleable_day().isoformat() < today.isoformat()
    assert len(days) >= 2 or today - last_settleable_day() == timedelta(days=2)
    assert db.statements.count_documents({"csv_key": None}) == 0
    assert "(0 failed)" in played.stdout
