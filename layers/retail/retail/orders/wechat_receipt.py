"""WeChat's word on receipt and settlement, for mini-programs under its trade management.

WeChat holds a managed mini-program's payment until the buyer confirms receipt in WeChat's own
confirmation component (wx.openBusinessView, businessType weappOrderConfirm) or WeChat's
window passes, then settles it and pushes `trade_manage_order_settlement`. Our COMPLETED
follows WeChat there: what WeChat says is read from `get_order` (its order_state 3 确认收货,
4 交易完成, 6 资金待结算), never from the push's own fields (its confirm_receive_method is
reported inverted) nor from the mini-program's word that the component succeeded. Facts and
addresses: docs/decisions/0022-receipt-and-settlement.md.

WeChat holds an order's payment when it was paid through WeChat Pay, the mini-program is under
trade management, and WeChat has not refused the order's shipping for good; get_order then
knows the payment. An order WeChat does not hold (not managed, not WeChat Pay, a payment
get_order does not know, an upload refused for an operator to handle) completes by our own
rules. Our own completion names WeChat's shipping state as it was read, so a shipment that
lands meanwhile makes it fail rather than complete an order WeChat now holds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, NamedTuple

from retail.adapters.wechat import WeChatApi, errcode_of, wechat_api
from retail.common.clock import utcnow
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.common.vocabulary import ShippingUpload
from retail.store import Db

from .document import Order, orders_of
from .lifecycle import transition
from .parcels import all_parcels_out, delivered
from .records import COMPLETED, SHIPPED, settling
from .shipping_upload import GET_ORDER
from .wechat_payments import (
    WeChatPayment,
    shipping_field,
    shipping_record,
    sub_order_owner,
    wechat_payments,
)

# get_order's order_state once the buyer's receipt is behind it (1 待发货, 2 已发货, 5 已退款).
RECEIVED = frozenset({3, 4, 6})
SHIPPED_AT_WECHAT, SETTLED, REFUNDED = 2, 4, 5
NO_SUCH_PAYMENT = 10060001  # get_order: 支付单不存在
# The order's shipping states that say WeChat holds none of its money.
NOTHING_HELD = frozenset({ShippingUpload.NOT_MANAGED, ShippingUpload.NOT_NEEDED})
# A payment's shipping states that say WeChat does not hold it, or no longer waits on us.
NOT_HELD = NOTHING_HELD | {ShippingUpload.NOT_SHIPPABLE, ShippingUpload.FAILED}


class Held(NamedTuple):
    """WeChat's order_state for an order it holds, and the payment it is of: for a combined
    payment, the first sub-order still waiting for the buyer's receipt (one WeChat has as
    shipped before one still waiting for its shipping), else one waiting for settlement."""

    state: int
    transaction_id: str


def wechat_released(order: Order) -> bool:
    """Whether WeChat no longer holds the order's money: it settled it (every payment), or
    holds none of it (not managed, not needed, or uploads it refused for good). Profit sharing
    waits for this: WeChat Pay refuses to split a payment WeChat has not settled."""
    if (order.get("wechat_receipt") or {}).get("settled"):
        return True
    if (order.get("wechat_shipping") or {}).get("state") in NOTHING_HELD:
        return True
    payments = wechat_payments(order)
    return bool(payments) and all(
        shipping_record(order, p).get("state") in NOT_HELD for p in payments
    )


def shipping_state_as_read(order: Order) -> dict[str, Any]:
    """The condition that WeChat's shipping state (and each sub-order's) is still the one
    `order` was read with."""
    condition: dict[str, Any] = {}
    for payment in [WeChatPayment(None, "", None), *wechat_payments(order)]:
        state = shipping_record(order, payment).get("state")
        condition[shipping_field(payment, "state")] = (
            state if state is not None else {"$exists": False}
        )
    return condition


def held_state(order: Order) -> Held | None:
    """WeChat's order_state where WeChat holds the order's money, else None. Raises
    UpstreamUnavailable when WeChat does not answer (busy, or an answer it cannot read)."""
    shipping = order.get("wechat_shipping") or {}
    if shipping.get("state") in NOTHING_HELD:
        return None
    held = [
        p for p in wechat_payments(order) if shipping_record(order, p).get("state") not in NOT_HELD
    ]
    if not held:
        return None
    api = wechat_api()
    if not shipping.get("state") and not api.is_trade_managed():
        return None
    states = [
        Held(state, p.transaction_id)
        for p in held
        if (state := _state_at_wechat(api, p.transaction_id)) is not None
    ]
    if len(states) > 1:  # a sub-order refunded in full no longer waits on anything
        states = [h for h in states if h.state != REFUNDED] or states
    # the buyer can confirm only what WeChat has as shipped: such a payment is named first
    waiting = sorted(
        (h for h in states if h.state not in RECEIVED), key=lambda h: h.state != SHIPPED_AT_WECHAT
    )
    unsettled = [h for h in states if h.state != SETTLED]
    return next(iter(waiting or unsettled or states), None)


def _state_at_wechat(api: WeChatApi, transaction_id: str) -> int | None:
    answer = api.call(GET_ORDER, {"transaction_id": transaction_id})
    errcode = errcode_of(answer)
    if errcode == NO_SUCH_PAYMENT:
        return None  # paid days ago and still unknown: not a payment WeChat holds
    found = answer.get("order") if errcode == 0 else None
    state = found.get("order_state") if isinstance(found, dict) else None
    if not isinstance(state, int) or isinstance(state, bool):
        raise UpstreamUnavailable(f"WeChat's get_order answered {errcode}")
    return state


def complete_as_wechat_says(db: Db, order: Order, state: int, note: str) -> Order | None:
    """Record WeChat's state on the order and, where the buyer's receipt is behind it,
    complete a shipped order (once: a conditional transition). The order as it is after."""
    now = utcnow()
    receipt: dict[str, Any] = {"wechat_receipt.state": state, "wechat_receipt.checked_at": now}
    if state in RECEIVED:
        receipt["wechat_receipt.received"] = True
    if state == SETTLED:
        receipt["wechat_receipt.settled"] = True
    orders_of(db).update_one({"_id": order["_id"]}, {"$set": receipt})
    if state not in RECEIVED:
        return None
    return transition(
        db,
        order["_id"],
        SHIPPED,
        COMPLETED,
        note,
        extra={**settling("completed_at", now), **delivered(order, now)},
        condition=all_parcels_out(order),
    )


def apply_settlement_event(db: Db, event: dict[str, Any]) -> str:
    """`trade_manage_order_settlement` (sent at shipping, and again at settlement): the order
    it names is checked with get_order and follows it. Returns what was done, for the log.
    Raises UpstreamUnavailable when WeChat cannot be asked (the push is then sent again)."""
    trade_no, transaction_id = event.get("merchant_trade_no"), event.get("transaction_id")
    if not isinstance(trade_no, str) or not isinstance(transaction_id, str):
        return "ignored: no merchant_trade_no or transaction_id"
    order = _order_paid_by(db, trade_no, transaction_id)
    if order is None:
        return "ignored: not one of our orders"
    order_id = order["_id"]
    estimate = event.get("estimated_settlement_time")
    if isinstance(estimate, int) and not isinstance(estimate, bool) and 0 < estimate < 2**32:
        when = datetime.fromtimestamp(estimate, timezone.utc)
        orders_of(db).update_one(
            {"_id": order_id}, {"$set": {"wechat_receipt.estimated_settlement_at": when}}
        )
    held = held_state(order)
    if held is None:
        return "ignored: WeChat does not hold the payment"
    done = complete_as_wechat_says(db, order, held.state, "receipt confirmed at WeChat")
    log(
        "wechat_settlement_applied", order_id=order_id, order_state=held.state, completed=bool(done)
    )
    return f"order_state {held.state}"


def _order_paid_by(db: Db, trade_no: str, transaction_id: str) -> Order | None:
    """The order a payment at WeChat is of: the order itself (its id is the out_trade_no),
    or the one whose combined payment has this sub-order paid by this transaction."""
    order = orders_of(db).find_one({"_id": trade_no, "transaction_id": transaction_id})
    owner = sub_order_owner(trade_no)
    if order is None and owner is not None:
        order = orders_of(db).find_one(
            {"_id": owner, f"sub_transactions.{trade_no}": transaction_id}
        )
    return order
