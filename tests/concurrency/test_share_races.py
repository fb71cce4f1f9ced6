"""Ten simultaneous share_reward calls for one visit, from real processes."""

from __future__ import annotations

import multiprocessing

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from .buyers import answer


def test_ten_concurrent_rewards_for_the_same_visit_give_one(tmp_path, gateway_store):
    gateway = start_gateway(tmp_path, "dev", workers=4, db_uri=gateway_store)
    try:
        for who in ("o-inviter", "o-visitor"):
            answer(gateway.url, "/fn/user_login", {}, who)
        code = answer(gateway.url, "/fn/share_create", {}, "o-inviter")["data"]["share_code"]
        with multiprocessing.get_context("spawn").Pool(10) as pool:
            answers = pool.starmap(
                answer, [(gateway.url, "/fn/share_reward", {"share_code": code}, "o-visitor")] * 10
            )
        assert sum(a["data"]["points_awarded"] for a in answers) == 50
        assert sum(a["data"]["bound"] for a in answers) == 1
        db = connect(gateway.db_uri)
        assert db.users.find_one({"_id": "o-inviter"})["points"] == 50
        assert db.points_ledger.count_documents({}) == 1
    finally:
        stop_gateway(gateway)
