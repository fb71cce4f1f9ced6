"""Ten simultaneous share_reward calls for one visit, from real processes."""

from __future__ import annotations

import json
import multiprocessing
import urllib.request

from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway


def _post(url, path, body, openid):
    request = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), method="POST", headers={"X-Dev-Openid": openid}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_ten_concurrent_rewards_for_the_same_visit_give_one(tmp_path):
    gateway = start_gateway(tmp_path, "dev", workers=4)
    try:
        for who in ("o-inviter", "o-visitor"):
            _post(gateway.url, "/fn/user_login", {}, who)
        code = _post(gateway.url, "/fn/share_create", {}, "o-inviter")["data"]["share_code"]
        with multiprocessing.get_context("spawn").Pool(10) as pool:
            answers = pool.starmap(
                _post, [(gateway.url, "/fn/share_reward", {"share_code": code}, "o-visitor")] * 10
            )
        assert sum(a["data"]["points_awarded"] for a in answers) == 50
        assert sum(a["data"]["bound"] for a in answers) == 1
        db = connect(gateway.db_uri)
        assert db.users.find_one({"_id": "o-inviter"})["points"] == 50
        assert db.points_ledger.count_documents({}) == 1
    finally:
        stop_gateway(gateway)
