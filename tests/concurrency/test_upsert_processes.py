"""Real processes make the first write of a purchase cap and of a day's account set at the
same moment, on the embedded engine and, when RETAIL_TEST_MONGODB_URI names one, on MongoDB,
where the losers of each insert race meet a duplicate key: none is refused for it."""

from __future__ import annotations

from datetime import datetime, timezone

from retail.risk.accounts import admit_account
from retail.risk.caps import take_cap
from retail.store import connect

from .racing import race

PROCESSES, ROUNDS = 6, 30
NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)


def _first_writes(uri: str, run: str, me: int, start, results) -> None:
    db = connect(uri)
    start.wait()
    refused = 0
    for n in range(ROUNDS):
        refused += not take_cap(db, f"{run}-cap-{n}", f"order-{me}", 1, PROCESSES)
        refused += not admit_account(db, f"{run}-device-{n}", f"o-buyer-{me}", PROCESSES, NOW)
    results.put(refused)


def test_no_first_write_is_refused_because_another_made_the_document_first(store_uri, run):
    uri = store_uri
    refused = race(_first_writes, [(uri, run, me) for me in range(PROCESSES)])
    assert refused == [0] * PROCESSES
    db = connect(uri)
    day = NOW.date().isoformat()
    try:
        for n in range(ROUNDS):
            cap = db.purchase_caps.find_one({"_id": f"{run}-cap-{n}"})
            accounts = db.account_sets.find_one({"_id": f"{run}-device-{n}:{day}"})
            assert cap["units"] == PROCESSES and len(accounts["openids"]) == PROCESSES
    finally:
        db.purchase_caps.delete_many({"_id": {"$regex": f"^{run}-"}})
        db.account_sets.delete_many({"_id": {"$regex": f"^{run}-"}})
