"""Timer group_expire: an open group past its deadline fails; every member who paid is
refunded in full, whatever state the order reached, and its unpaid orders cancelled, each
once, their stock given back; members who paid get the group-result notice they granted.
A payment that lands after the failure is refunded the same way (a cancelled order is never
reopened)."""

from __future__ import annotations

from typing import Any

from retail.common.batches import BatchRequest, BatchSummary, Budget, Outcome, run_batches
from retail.common.clock import utcnow
from retail.common.database import database
from retail.groupbuy.groups import FAILED, OPEN
from retail.orders import notify_group, take_back
from retail.orders.document import orders_of
from retail.orders.records import COMPLETED, PAID, PENDING_PAYMENT, RESERVING, SHIPPED
from retail.payments import WECHAT_PAY
from retail.store import Db

# Orders of a failed group that still hold the buyer's money or a reservation.
IN_FLIGHT = [RESERVING, PENDING_PAYMENT, PAID, SHIPPED, COMPLETED]


def expire_groups(cmd: BatchRequest, *, budget: Budget, db: Db | None = None) -> BatchSummary:
    db = db if db is not None else database()
    now = utcnow()
    db.groups.update_many(
        {"status": OPEN, "deadline": {"$lte": now}}, {"$set": {"status": FAILED, "failed_at": now}}
    )
    unsettled = {"status": FAILED, "settled": {"$ne": True}}

    def fetch(limit: int) -> list[dict[str, Any]]:
        return list(db.groups.find(unsettled, limit=limit))

    def unwind(group: dict[str, Any]) -> Outcome:
        for order_id in group.get("members", {}).values():
            take_back(db, order_id, "group did not fill", cashier=WECHAT_PAY, deal_failed=True)
            member = orders_of(db).find_one({"_id": order_id})
            if member is not None and member.get("paid_at"):  # told once it paid
                notify_group(db, member, formed=False)
        open_orders = db.orders.count_documents(
            {"group_id": group["_id"], "status": {"$in": IN_FLIGHT}}
        )
        if open_orders:
            return "failed"  # an order still in flight: the next run finishes it
        db.groups.update_one({"_id": group["_id"]}, {"$set": {"settled": True}})
        return "processed"

    return run_batches(cmd, budget, fetch, unwind, BatchSummary())
