"""Before an unpaid order is cancelled, WeChat Pay must stop taking money for it: close the
transaction, then ask how it ended. A payment that beat the close is applied instead (the
order is paid, not cancelled); one that still arrives after is refunded whole
(transactions.py). Only then may stock, coupon and points go back."""

from __future__ import annotations

from retail.common.logs import log
from retail.orders.document import Order
from retail.store import Db

from .combined import close_combined
from .config import wechatpay_config
from .connect import wechatpay_client
from .transactions import apply_transaction, query_transaction


def close_payment(db: Db, order: Order) -> bool:
    """True when no money can come for the order any more; False when it was paid meanwhile
    (that payment is now applied). Raises UpstreamUnavailable: nothing is cancelled then."""
    if not order.get("prepay_id"):
        return True  # WeChat Pay never heard of it, so it cannot take money for it
    client = wechatpay_client()
    if order.get("sub_orders"):  # a combined payment closes whole (payments.combined)
        close_combined(client, order)
    else:
        client.close_transaction(order["out_trade_no"])
    tx = query_transaction(order)
    if tx is not None and tx.get("trade_state") == "PARTIAL":  # given back: nothing is paid
        outcome = apply_transaction(db, wechatpay_config(), tx)
        log("payment_closed", order_id=order["_id"], outcome=outcome)
        return True
    if tx is None or tx.get("trade_state") != "SUCCESS":
        log("payment_closed", order_id=order["_id"])
        return True
    outcome = apply_transaction(db, wechatpay_config(), tx)
    log("payment_found_on_close", order_id=order["_id"], outcome=outcome)
    return False
