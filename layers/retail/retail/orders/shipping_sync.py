"""Timer (shipping_sync): every order whose shipping WeChat does not have yet, uploaded once
its pause has passed (orders.shipping_upload), and WeChat's order notices pointed at our
order page (docs/decisions/0020-wechat-shipping-information.md)."""

from __future__ import annotations

from datetime import datetime

from retail.adapters.wechat import WeChatApi, errcode_of, wechat_api
from retail.common.batches import BatchRequest, BatchSummary, Budget, Outcome, run_batches
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.store import Db

from .document import Order, orders_of
from .shipping_upload import upload_shipping

SET_JUMP_PATH = "/wxa/sec/order/set_msg_jump_path"
# The page WeChat's order notices open; WeChat adds transaction_id, merchant_id and
# merchant_trade_no (our order id, or a sub-order's) to it, and the order page reads the last.
ORDER_PAGE = "pages/orders/detail"


def sync_shipping(cmd: BatchRequest, *, budget: Budget, db: Db | None = None) -> BatchSummary:
    """Timer (shipping_sync): upload every order whose shipping WeChat does not have yet and
    whose pause has passed, oldest first."""
    db = db if db is not None else database()
    now = utcnow()
    api = wechat_api()
    _point_notices_at_the_order_page(db, api, now)

    def fetch(limit: int) -> list[Order]:
        due = {"shipping_due": {"$lte": now}}
        return list(orders_of(db).find(due, {"_id": 1}, sort=[("shipping_due", 1)], limit=limit))

    def upload(ref: Order) -> Outcome:
        return upload_shipping(db, ref["_id"], api=api, now=now)

    return run_batches(cmd, budget, fetch, upload, BatchSummary())


def _point_notices_at_the_order_page(db: Db, api: WeChatApi, now: datetime) -> None:
    """WeChat's shipping and receipt notices open our order page, set once (set_msg_jump_path)
    and again only if the page changes; a failure is tried on the next run."""
    kept = db.platform_facts.find_one({"_id": "msg_jump_path"}) or {}
    if kept.get("path") == ORDER_PAGE:
        return
    try:
        if not api.is_trade_managed():
            return
        answer = api.call(SET_JUMP_PATH, {"path": ORDER_PAGE})
    except UpstreamUnavailable:
        return
    if errcode_of(answer):
        log("msg_jump_path_refused", "WARNING", errcode=errcode_of(answer))
        return
    db.platform_facts.update_one(
        {"_id": "msg_jump_path"}, {"$set": {"path": ORDER_PAGE, "at": now}}, upsert=True
    )
