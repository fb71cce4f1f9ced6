"""payment_prepay: a JSAPI prepay for the caller's own unpaid order, and the signed
parameters the mini-program passes to wx.requestPayment: one transaction into the shop's
account (direct mode), or one combined transaction with a sub-order per merchant
(marketplace mode, payments.combined); wx.requestPayment takes either the same way."""

from __future__ import annotations

import time
from datetime import timedelta

from pydantic import BaseModel

from retail.catalog import require_sellable
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, NotFound, Reason
from retail.common.models import ORDER_ID, OUT, STRICT
from retail.common.settings import settings
from retail.orders.document import Order, orders_of
from retail.orders.payment import record_prepay
from retail.orders.records import PENDING_PAYMENT
from retail.store import Db

from . import crypto
from .client import WeChatPayClient
from .combined import combined_prepay, plan_sub_orders, still_payable
from .connect import wechatpay_client

PREPAY_VALID = timedelta(hours=2)  # WeChat Pay: a prepay_id is valid for two hours
REUSE_MARGIN = timedelta(minutes=1)


class Prepay(BaseModel):
    model_config = STRICT
    order_id: str = ORDER_ID


class PaymentParams(BaseModel):
    """Exactly what wx.requestPayment takes (field names as WeChat spells them)."""

    model_config = OUT
    appId: str
    timeStamp: str
    nonceStr: str
    package: str
    signType: str = "RSA"
    paySign: str


def prepare_payment(
    cmd: Prepay, *, buyer: str, db: Db | None = None, client: WeChatPayClient | None = None
) -> PaymentParams:
    """Raises NotFound (not the caller's order) or Conflict (not payable now; a merchant the
    payment mode cannot pay: MERCHANT_NOT_PAYABLE)."""
    db = db if db is not None else database()
    client = client or wechatpay_client()
    order = orders_of(db).find_one({"_id": cmd.order_id, "openid": buyer})
    if order is None:
        raise NotFound(f"no order {cmd.order_id!r}")
    now = utcnow()
    if order["status"] != PENDING_PAYMENT:
        raise Conflict(
            f"an order in status {order['status']} cannot be paid", status=order["status"]
        )
    deadline = order.get("pay_deadline")
    if deadline is None or deadline <= now:  # None: never opened for payment
        raise Conflict("the payment deadline has passed")
    prepay_id = order.get("prepay_id")
    combined = "sub_orders" in order or settings().payment_mode == "marketplace"
    if prepay_id and combined and "sub_orders" not in order:
        # opened for payment into the shop's own account before the shop became a
        # marketplace: paying it now would collect a merchant's money there (二清)
        raise Conflict(
            "this order was opened for payment before the payment mode changed: place it again",
            reason=Reason.MERCHANT_NOT_PAYABLE,
        )
    if not prepay_id or order["prepay_expires_at"] <= now + REUSE_MARGIN:
        expires_at = min(now + PREPAY_VALID, deadline)
        if combined:
            plan = order.get("sub_orders") or plan_sub_orders(db, order)
            still_payable(db, plan)
            prepay_id = combined_prepay(client, order, plan, openid=buyer, time_expire=deadline)
            record_prepay(db, order["_id"], prepay_id, expires_at, now, plan)
        else:
            require_payable(db, order)
            title = order["lines"][0]["title"] + (" 等" if len(order["lines"]) > 1 else "")
            prepay_id = client.jsapi_prepay(
                out_trade_no=order["out_trade_no"],
                description=title,
                amount=order["total"],
                openid=buyer,
                time_expire=deadline,
            )
            record_prepay(db, order["_id"], prepay_id, expires_at, now)
    timestamp, once, package = str(int(time.time())), crypto.nonce(), f"prepay_id={prepay_id}"
    config = client.config
    return PaymentParams(
        appId=config.appid,
        timeStamp=timestamp,
        nonceStr=once,
        package=package,
        paySign=crypto.sign(config.private_key, config.appid, timestamp, once, package),
    )


def require_payable(db: Db, order: Order) -> None:
    """Direct mode: every merchant of the order may sell through the shop's account (in
    production only its own: catalog.payees). Raises Conflict (MERCHANT_NOT_PAYABLE)."""
    for merchant in db.merchants.find({"_id": {"$in": order["merchant_ids"]}}):
        require_sellable(merchant)
