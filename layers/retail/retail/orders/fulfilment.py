"""After payment: shipping, pickup at the store, same-city riders, and receipt.

PAID -> SHIPPED (carrier and tracking number, or a rider picked the goods up)
SHIPPED -> COMPLETED (the buyer confirms, the rider delivers, or N days pass)
PAID -> COMPLETED (pickup: store staff check the pickup code)
Every step is a conditional update naming the expected status.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.adapters import delivery
from retail.common.batches import BatchRequest, BatchSummary, Budget, Outcome, run_batches
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Reason,
    UpstreamUnavailable,
    found,
)
from retail.common.models import ID, ORDER_ID, STRICT
from retail.common.operator import Operator, Role
from retail.common.settings import settings
from retail.store import Db

from .couriers import courier_name
from .document import Order, orders_of
from .lifecycle import already_moved, transition
from .models import OrderView
from .notices import notify_rider_on_the_way, notify_shipped
from .parcels import (
    NOT_HELD,
    all_parcels_out,
    audit_ship,
    delivered,
    parcels_of,
    refuse_unformed_group,
    ship_parcels,
)
from .payment import complete_virtual
from .pickup_codes import pickup_order
from .queries import OrderRef
from .records import (
    COMPLETED,
    PAID,
    SHIPPED,
    merchant_share,
    settling,
    to_view,
    waiting_parcels,
)
from .shipping_upload import shipping_due, upload_shipping
from .wechat_receipt import (
    RECEIVED,
    complete_as_wechat_says,
    held_state,
    shipping_state_as_read,
)

# While WeChat has not had the buyer's receipt, the timer asks it again after this long.
WECHAT_ASKED_AGAIN = timedelta(days=1)


class ShipOrder(OrderRef):
    carrier: str = Field(
        min_length=1,
        max_length=30,
        description="the courier's code in WeChat's delivery-company list (courier_list)",
    )
    tracking_no: str = Field(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$")


class VerifyPickup(BaseModel):
    model_config = STRICT
    store_id: str = ID
    pickup_code: str = Field(pattern=r"^[0-9]{6}$")
    order_id: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        pattern=r"^[A-Z0-9]+$",
        description="needed only when the code alone names several orders (PICKUP_CODE_SHARED)",
    )


# The courier's webhook proves itself with the delivery adapter's signature.
rider_update_is_genuine = delivery.notification_is_genuine


class RiderUpdate(BaseModel):
    model_config = STRICT
    delivery_id: str = Field(min_length=1, max_length=40)
    order_id: str = ORDER_ID
    status: Literal["ACCEPTED", "PICKED_UP", "DELIVERED", "CANCELLED"]
    rider_name: str | None = Field(None, max_length=20)
    rider_phone: str | None = Field(None, max_length=20)


def _tracking(status: str, description: str) -> dict[str, Any]:
    return {"$push": {"tracking": {"at": utcnow(), "status": status, "description": description}}}


def _refuse_held(order: Order) -> None:
    if order.get("risk_hold"):
        raise Conflict("the order is held for risk review", risk_event=order["risk_hold"])


def ship_order(cmd: ShipOrder, *, operator: Operator, db: Db | None = None) -> OrderView:
    """An express order's parcels leave the warehouses: a merchant ships its own, admin and
    service every waiting one (orders.parcels). Raises NotFound, Forbidden or Conflict."""
    db = db if db is not None else database()
    order = orders_of(db).find_one({"_id": cmd.order_id})
    if order is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    merchants = parcels_of(operator, order)
    if order["delivery"] != "express":
        raise Conflict(f"a {order['delivery']} order is not shipped by carrier")
    ship_on = order.get("ship_on")
    if ship_on and utcnow().date().isoformat() < ship_on:
        raise Conflict(f"presale order ships on {ship_on}", ship_on=ship_on)
    _refuse_held(order)
    refuse_unformed_group(db, order)
    if order["status"] not in (PAID, SHIPPED):
        raise Conflict(
            f"an order in status {order['status']} cannot be shipped", status=order["status"]
        )
    courier_name(db, cmd.carrier)
    shipped = ship_parcels(db, order, merchants, cmd.carrier, cmd.tracking_no)
    if shipped:
        audit_ship(db, operator, order, shipped, cmd)
        notify_shipped(db, order, shipped, cmd.carrier, cmd.tracking_no, utcnow())
    upload_shipping(db, cmd.order_id)  # what WeChat could not take now, shipping_sync retries
    after = found(orders_of(db).find_one({"_id": cmd.order_id}), "order")
    return to_view(merchant_share(after, operator.merchant_id) if operator.merchant_id else after)


def verify_pickup(cmd: VerifyPickup, *, operator: Operator, db: Db | None = None) -> OrderView:
    """Store staff hand over a paid pickup order against its code. Raises NotFound or
    Conflict (a code several orders share, without the order's id; a held order)."""
    db = db if db is not None else database()
    order = pickup_order(
        db, cmd.store_id, cmd.pickup_code, cmd.order_id, lambda o: _may_handle(operator, o)
    )
    _refuse_held(order)
    refuse_unformed_group(db, order)
    now = utcnow()
    done = transition(
        db,
        order["_id"],
        PAID,
        COMPLETED,
        "picked up at the store",
        extra={**settling("completed_at", now), **shipping_due(now)},
        condition=NOT_HELD,
    )
    if done is None:
        raise Conflict("the order changed while being handed over")
    upload_shipping(db, done["_id"])
    return to_view(done)


def confirm_receipt(cmd: OrderRef, *, buyer: str, db: Db | None = None) -> OrderView:
    """The buyer confirms a shipped order arrived: every parcel, so every one must be out.
    Where WeChat has the order's shipping, the receipt is WeChat's to confirm (its component;
    checked with get_order, wechat_receipt.py). Raises NotFound, Conflict (reason
    PARCELS_WAITING names the merchants not shipped; CONFIRM_AT_WECHAT: WeChat has not had the
    buyer's confirmation) or UpstreamUnavailable (WeChat cannot be asked)."""
    db = db if db is not None else database()
    order = orders_of(db).find_one({"_id": cmd.order_id, "openid": buyer}) or {"_id": cmd.order_id}
    held = None
    if order.get("status") == SHIPPED and not waiting_parcels(order):
        held = held_state(order)
    if held is not None:
        done = complete_as_wechat_says(db, order, held.state, "received")
        if done is not None:
            return to_view(done)
        if held.state not in RECEIVED:
            raise Conflict(
                "confirm receipt in WeChat's component first",
                reason=Reason.CONFIRM_AT_WECHAT,
                transaction_id=held.transaction_id,
            )
    now = utcnow()
    done = transition(
        db,
        cmd.order_id,
        SHIPPED,
        COMPLETED,
        "received",
        extra={**settling("completed_at", now), **delivered(order, now)},
        condition={"openid": buyer, **all_parcels_out(order), **shipping_state_as_read(order)},
    )
    if done is not None:
        return to_view(done)
    waiting = waiting_parcels(order)
    if order.get("status") == SHIPPED and waiting:
        raise Conflict(
            "some parcels have not shipped yet", reason=Reason.PARCELS_WAITING, waiting=waiting
        )
    return to_view(already_moved(db, cmd.order_id, buyer, COMPLETED, "confirmed"))


def record_rider_update(cmd: RiderUpdate, *, db: Db | None = None) -> OrderView:
    """A rider status from the same-city provider (already verified). Idempotent."""
    db = db if db is not None else database()
    order = orders_of(db).find_one({"_id": cmd.order_id, "delivery_id": cmd.delivery_id})
    if order is None:
        raise NotFound("no order for this delivery")
    description = f"rider {cmd.rider_name}" if cmd.rider_name else "rider update"
    orders_of(db).update_one(
        {"_id": cmd.order_id, "tracking.status": {"$ne": cmd.status}},
        _tracking(cmd.status, description),
    )
    now = utcnow()
    if cmd.status == "PICKED_UP":
        extra = {"shipped_at": now, **shipping_due(now)}
        if transition(db, cmd.order_id, PAID, SHIPPED, "rider picked up", extra=extra):
            notify_rider_on_the_way(db, order, now)
    elif cmd.status == "DELIVERED":  # from PAID too: the pickup's update may never come
        _delivered_by_rider(db, order, now)
    upload_shipping(db, cmd.order_id)
    return to_view(found(orders_of(db).find_one({"_id": cmd.order_id}), "order"))


def _delivered_by_rider(db: Db, order: Order, now: datetime) -> None:
    """The rider handed the goods over: complete, unless WeChat holds the payment and has not
    had the buyer's receipt (wechat_receipt.py), when the order waits, shipped, for WeChat."""
    held = held_state(order)
    if held is not None and held.state not in RECEIVED:
        extra = {"shipped_at": now, **shipping_due(now)}
        transition(db, order["_id"], PAID, SHIPPED, "delivered by rider", extra=extra)
        return
    transition(
        db,
        order["_id"],
        [PAID, SHIPPED],
        COMPLETED,
        "delivered by rider",
        extra={**settling("completed_at", now), **shipping_due(now)},
        condition=shipping_state_as_read(order),
    )


def auto_confirm_orders(cmd: BatchRequest, *, budget: Budget, db: Db | None = None) -> BatchSummary:
    """Timer: shipped orders not confirmed within RETAIL_AUTO_CONFIRM_DAYS complete, and so do
    paid memberships whose completion a crash interrupted. An order whose receipt is WeChat's
    (wechat_receipt.py) completes only once WeChat says so: asked here, for the settlement
    push that may have been lost, and asked again a day later while WeChat waits."""
    db = db if db is not None else database()
    now = utcnow()
    cutoff = now - timedelta(days=settings().RETAIL_AUTO_CONFIRM_DAYS)
    shipped_due = {
        "status": SHIPPED,
        "shipped_at": {"$lte": cutoff},  # set once every parcel is out
        "wechat_receipt.checked_at": {"$not": {"$gt": now - WECHAT_ASKED_AGAIN}},
    }
    due = {"$or": [shipped_due, {"status": PAID, "delivery": "virtual"}]}

    def fetch(limit: int) -> list[Order]:
        return list(orders_of(db).find(due, sort=[("shipped_at", 1)], limit=limit))

    def confirm(order: Order) -> Outcome:
        if order["status"] == PAID:  # a membership: completing it is payment's own last step
            return "processed" if complete_virtual(db, order["_id"]) is not None else "skipped"
        try:
            held = held_state(order)
        except UpstreamUnavailable:  # asked again with the others WeChat keeps waiting
            mark = {"$set": {"wechat_receipt.checked_at": now}}
            orders_of(db).update_one({"_id": order["_id"]}, mark)
            return "failed"
        if held is not None:
            settled = complete_as_wechat_says(db, order, held.state, "confirmed at WeChat")
            return "processed" if settled is not None else "skipped"
        done = transition(
            db,
            order["_id"],
            [SHIPPED, PAID],
            COMPLETED,
            "confirmed automatically",
            extra=settling("completed_at", utcnow()),
            condition={**due, **shipping_state_as_read(order)},
        )
        return "processed" if done is not None else "skipped"

    return run_batches(cmd, budget, fetch, confirm, BatchSummary())


def _may_handle(operator: Operator, order: Order) -> bool:
    """admin and service: every order; a merchant: orders made only of its own goods."""
    if operator.is_one_of(Role.ADMIN, Role.SERVICE):
        return True
    if operator.kind == Role.MERCHANT:
        return order.get("merchant_ids") == [operator.merchant_id]
    raise Forbidden(f"role {operator.role!r} may not handle orders")
