"""Twelve withdrawals of one promoter's balance at once, from real processes through a gateway
of four workers: no more is taken than was available, each one taken has exactly one transfer
bill, and the books add up (issue 31 §6)."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta, timezone

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from .buyers import post

PROMOTER = "o-racing-promoter"
AVAILABLE = 1_000
EACH = 300
CALLS = 12


def test_simultaneous_withdrawals_never_take_more_than_the_balance(tmp_path, gateway_store):
    settings = {
        "RETAIL_WITHDRAW_MIN_ACCOUNT_AGE_SECONDS": "0",
        "RETAIL_WITHDRAW_DAY_CAP_FEN": "100000",
    }
    shop = start_gateway(tmp_path, "dev", workers=4, settings=settings, db_uri=gateway_store)
    try:
        assert post(shop.url, "/fn/user_me", {}, PROMOTER)[0] in (200, 404)
        db = connect(shop.db_uri)
        long_ago = datetime.now(timezone.utc) - timedelta(days=30)
        db.users.update_one({"_id": PROMOTER}, {"$set": {"first_seen_at": long_ago}}, upsert=True)
        db.promoter_accounts.insert_one(
            {"_id": PROMOTER, "available": AVAILABLE, "withdrawing": 0, "withdrawn": 0, "debt": 0}
        )
        calls = [(shop.url, "/fn/commission_withdraw", {"amount": EACH}, PROMOTER)] * CALLS
        with multiprocessing.get_context("spawn").Pool(8) as pool:
            answers = pool.starmap(post, calls)
        taken = [a for status, a in answers if status == 200]
        refused = [a for status, a in answers if status == 409]
        assert len(taken) + len(refused) == CALLS, answers
        assert len(taken) == AVAILABLE // EACH  # as many as the balance holds, no more
        account = db.promoter_accounts.find_one({"_id": PROMOTER})
        assert account["available"] == AVAILABLE - EACH * len(taken)
        assert account["withdrawing"] == EACH * len(taken) and account["available"] >= 0
        bills = list(db.sandbox_wechatpay.find({"kind": "transfer"}))
        assert sorted(b["out_bill_no"] for b in bills) == sorted(
            a["data"]["withdrawal_id"] for a in taken
        )
        assert db.withdrawals.count_documents({"state": "REFUSED"}) == len(refused)
    finally:
        stop_gateway(shop)
