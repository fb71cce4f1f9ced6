"""order_expire running beside itself and beside late payments, in real processes."""

from __future__ import annotations

from datetime import timedelta

from retail.common.clock import utcnow
from retail.inventory import audit_stock
from retail.orders import PlaceOrder, place_order

from ..functions.harness import consent, sample
from .racing import race_jobs


def _expire(uri: str, start, results) -> None:
    import os

    os.environ.update(RETAIL_ENV="dev", RETAIL_DB_URI=uri)
    from retail.core import BatchRequest, Budget
    from retail.orders import expire_unpaid_orders
    from retail.payments import close_payment

    start.wait()
    summary = expire_unpaid_orders(
        BatchRequest(batch_size=5), budget=Budget(60), close_payment=close_payment
    )
    results.put(("expired", summary.processed))


def _pay(uri: str, orders: list[tuple[str, int]], start, results) -> None:
    import os

    os.environ.update(RETAIL_ENV="dev", RETAIL_DB_URI=uri)
    from retail.common.database import database
    from retail.orders import mark_paid

    start.wait()
    paid = sum(mark_paid(database(), oid, f"TX-{oid}", total) is not None for oid, total in orders)
    results.put(("paid", paid))


def test_expiry_and_late_payments_race_without_losing_or_doubling_stock(seeded, isolated_env):
    orders = []
    for i in range(40):
        data = {**sample("order_place"), "idempotency_key": f"race-key-{i:04d}"}
        consent(f"o-race-{i}")
        view = place_order(PlaceOrder.model_validate(data), buyer=f"o-race-{i}")
        orders.append((view.order_id, view.total))
    seeded.orders.update_many({}, {"$set": {"pay_deadline": utcnow() - timedelta(seconds=1)}})
    jobs = [(_expire, (isolated_env,))] * 3 + [
        (_pay, (isolated_env, orders[i::3])) for i in range(3)
    ]
    outcomes = race_jobs(jobs)
    expired_total = sum(n for kind, n in outcomes if kind == "expired")
    paid_total = sum(n for kind, n in outcomes if kind == "paid")
    assert expired_total + paid_total == 40
    assert seeded.orders.count_documents({"status": "PAID"}) == paid_total
    assert seeded.orders.count_documents({"status": "CANCELLED"}) == expired_total
    mango = seeded.stock.find_one({"_id": "p-mango-1@central"})
    assert (mango["reserved"], mango["sold"]) == (0, 2 * paid_total)
    assert audit_stock(seeded) == []
