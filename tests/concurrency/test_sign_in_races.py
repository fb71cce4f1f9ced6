"""Password guesses sent all at once from one address, through a 4-worker gateway by eight
client processes: no more than five passwords are checked before the address is locked out,
and the operator still signs in from elsewhere."""

from __future__ import annotations

import multiprocessing

from retail.operators import create_operator
from retail.store import connect
from tests.e2e.conftest import start_gateway, stop_gateway

from .buyers import post

PASSWORD = "correct horse battery staple"


def _guess(url: str, n: int) -> int:
    status, _ = post(url, "/fn/operator_login", {"operator_id": "admin1", "password": f"g{n}"}, "")
    return status


def test_a_burst_of_guesses_from_one_address_checks_at_most_five(tmp_path, gateway_store):
    shop = start_gateway(tmp_path, "dev", workers=4, db_uri=gateway_store)
    try:
        create_operator(connect(shop.db_uri), "admin1", "admin", PASSWORD)
        with multiprocessing.get_context("spawn").Pool(8) as pool:
            statuses = pool.starmap(_guess, [(shop.url, n) for n in range(40)])
        assert statuses.count(401) <= 5 and statuses.count(429) >= 35
        db = connect(shop.db_uri)
        spray = [d for d in db.sign_in_attempts.find({}) if "|*|" in d["_id"]]
        assert sum(d["failures"] for d in spray) == statuses.count(401)
    finally:
        stop_gateway(shop)
