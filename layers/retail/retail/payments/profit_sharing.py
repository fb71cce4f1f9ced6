"""Timer (profit_sharing_run): the platform's commission taken by profit sharing and the rest
released to each merchant, per sub-order of a combined payment (docs/decisions/0025).

A sub-order's money sits frozen in its merchant's account until then. An order is ready once
it completed, its refund window has passed (RETAIL_PROFIT_SHARING_DELAY_DAYS), WeChat has
settled it (where it holds it) and no refund of it is asked or on its way; a refunded or
cancelled order releases whatever its refunds left. Ready, each sub-order's share record
(`profit_shares`) is planned: the commission its merchant's written statement counts
(settlement.sale_figures), at most the 30 % of what the sub-order holds that WeChat Pay lets
a split take, and the subsidy declared at prepay; payments.share_steps then moves it through
WeChat Pay. A plan nothing was asked for yet is planned again at each look (a refund may have
come meanwhile); once asked, it stands.

A refund of the merchant's goods after the split (its parcel's, or the whole order's) puts
the order back in the to-do set: the commission goes back to the merchant at once, without
waiting for the refund (WeChat Pay: the two are not coupled, and the merchant's balance may
need it to pay), and the subsidy comes back to the platform once WeChat Pay has the refund.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.batches import Budget
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.settings import settings
from retail.common.vocabulary import (
    OrderStatus,
    ParcelRefundStatus,
    RefundRequestStatus,
    RefundStatus,
)
from retail.orders import due_for_sharing, look_again, shared, wechat_released
from retail.orders.document import Order, SubOrder
from retail.risk import record_risk_event
from retail.settlement import sale_figures
from retail.store import Db

from .client import WeChatPayClient
from .connect import wechatpay_client
from .share_steps import (
    DONE,
    GIVING_BACK,
    PLANNED,
    SUBSIDY_STEPS,
    ShareState,
    advance,
    move,
    sub_order_refunds,
    wechat_refunded,
)

RECHECK = timedelta(hours=1)  # an order not ready yet is looked at again after this
POLL = timedelta(minutes=5)  # a split WeChat Pay is still processing
FROZEN_FOR = timedelta(days=180)  # then WeChat Pay releases the rest to the merchant itself
WARN_BEFORE = timedelta(days=10)
MAX_SHARE_BP = 3000  # 「分账接收方的总金额不能超过这笔订单全部可分金额的30%」
PAGE = 50
GIVEN_BACK = (OrderStatus.REFUNDED, OrderStatus.CANCELLED, OrderStatus.FAILED)
GOODS_BACK = (OrderStatus.REFUNDING, OrderStatus.REFUNDED)
S = ShareState


class ShareProfits(BaseModel):
    model_config = STRICT


class ProfitsShared(BaseModel):
    model_config = OUT
    orders: int = Field(description="orders looked at")
    finished: int = Field(description="sub-orders whose split ended in this run")
    waiting: int = Field(description="orders not ready yet, or waiting on WeChat Pay")


def share_profits(
    _: ShareProfits,
    *,
    budget: Budget,
    db: Db | None = None,
    client: WeChatPayClient | None = None,
) -> ProfitsShared:
    db = db if db is not None else database()
    client = client or wechatpay_client()
    summary = ProfitsShared(orders=0, finished=0, waiting=0)
    now = utcnow()
    while not budget.exhausted() and (page := due_for_sharing(db, now, PAGE)):
        for order in page:
            summary.orders += 1
            finished, done = _share_order(db, client, order, now)
            summary.finished += finished
            summary.waiting += 0 if done else 1
            if budget.exhausted():
                break
        if len(page) < PAGE:
            break
    return summary


def _share_order(db: Db, client: WeChatPayClient, order: Order, now: datetime) -> tuple[int, bool]:
    """(sub-orders finished now, whether the order is out of the to-do set)."""
    existing = _shares_of(db, order)
    for sub in order["sub_orders"]:  # what a refund owes back waits for nothing
        share = existing.get(sub["out_trade_no"])
        if share is not None and share["state"] in DONE + GIVING_BACK:
            existing[sub["out_trade_no"]] = _give_back_if_owed(db, client, order, sub, share)
    wait = _not_ready(db, order, now)
    if wait is not None:
        look_again(db, order, wait)
        _warn_if_late(db, order, now)
        return 0, False
    finished, open_ = 0, 0
    for sub in order["sub_orders"]:
        share = _planned(db, order, sub, existing.get(sub["out_trade_no"]))
        if share is None:  # its statement is not written yet
            look_again(db, order, now + RECHECK)
            return finished, False
        before = share["state"]
        share = advance(db, client, share, only=SUBSIDY_STEPS)
        # the subsidy settled, the plan is looked at again before anything is split (goods
        # that came back meanwhile split nothing: the subsidy returns, the rest is released)
        share = _planned(db, order, sub, share) or share
        share = _give_back_if_owed(db, client, order, sub, advance(db, client, share))
        finished += int(share["state"] in DONE and before not in DONE)
        open_ += int(share["state"] not in DONE)
    if open_:
        look_again(db, order, now + POLL)
        _warn_if_late(db, order, now)
        return finished, False
    shared(db, order, now)
    return finished, True


def _shares_of(db: Db, order: Order) -> dict[str, dict[str, Any]]:
    numbers = [s["out_trade_no"] for s in order["sub_orders"]]
    return {s["_id"]: s for s in db.profit_shares.find({"_id": {"$in": numbers}})}


def _give_back_if_owed(
    db: Db, client: WeChatPayClient, order: Order, sub: SubOrder, share: dict[str, Any]
) -> dict[str, Any]:
    """A split sub-order whose goods are being given back returns what the split moved."""
    if share["state"] == S.FINISHED and _goods_back(order, sub):
        moved = share.get("commission", 0) > 0 or share.get("subsidy_id")
        if moved:
            share = move(db, share, S.RETURN_OWED) or share
    return advance(db, client, share, only=GIVING_BACK) if share["state"] in GIVING_BACK else share


def _goods_back(order: Order, sub: SubOrder) -> bool:
    """Whether the merchant's goods of the order are being given back (refund approved)."""
    if order["status"] in GOODS_BACK:
        return True
    parcel = (order.get("parcel_refunds") or {}).get(sub["merchant_id"]) or {}
    return parcel.get("status") in (ParcelRefundStatus.REFUNDING, ParcelRefundStatus.REFUNDED)


def _not_ready(db: Db, order: Order, now: datetime) -> datetime | None:
    """When to look at the order again, or None when its money can be shared now."""
    if (order.get("refund_request") or {}).get("status") == RefundRequestStatus.REQUESTED:
        return now + RECHECK  # a refund waits for an operator: nothing is split meanwhile
    if _refunds_open(db, order):
        return now + RECHECK
    if order["status"] in GIVEN_BACK:
        return None
    if order["status"] != OrderStatus.COMPLETED:
        return now + RECHECK
    delay = timedelta(days=settings().RETAIL_PROFIT_SHARING_DELAY_DAYS)
    if order["completed_at"] + delay > now:
        return order["completed_at"] + delay
    if not wechat_released(order):
        return now + RECHECK
    return None


def _refunds_open(db: Db, order: Order) -> bool:
    for refund in db.refunds.find({"order_id": order["_id"]}, {"status": 1}):
        if refund["status"] not in (RefundStatus.SUCCESS, RefundStatus.CLOSED):
            return True
    return order.get("refund_status") == RefundStatus.PROCESSING


def _planned(
    db: Db, order: Order, sub: SubOrder, share: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The sub-order's share record with the plan as of now: written the first time, planned
    again while nothing has been asked of WeChat Pay, left as it is once something has. None
    while the merchant's statement does not carry the sale yet."""
    if share is not None and (share["state"] not in PLANNED or _asked(share)):
        paid_in = share.get("subsidy_id") and not share.get("finish_after_return")
        if share["state"] == S.SPLIT_OWED and paid_in and not _sold(order, sub):
            # the subsidy was paid, then the goods came back before the split: it returns,
            # and what is left is released
            fields = {"commission": 0, "out_order_no": f"F{sub['out_trade_no']}"}
            if not share.get("split_asked"):
                return move(db, share, S.SUBSIDY_RETURN_OWED, finish_after_return=True, **fields)
        return share
    plan = _plan(db, order, sub)
    if plan is None:
        return None
    if share is None:
        try:
            db.profit_shares.insert_one({**plan, "created_at": utcnow()})
        except DuplicateKeyError:  # another run wrote it first
            return db.profit_shares.find_one({"_id": sub["out_trade_no"]})
        log("profit_share_planned", order_id=order["_id"], sub_order=sub["out_trade_no"])
        return plan
    changed = {k: v for k, v in plan.items() if k != "updated_at" and share.get(k) != v}
    if not changed:
        return share
    replanned: dict[str, Any] | None = db.profit_shares.find_one_and_update(
        {"_id": share["_id"], "state": share["state"], "subsidy_asked": None, "split_asked": None},
        {"$set": changed},
        return_document=ReturnDocument.AFTER,
    )
    return replanned or db.profit_shares.find_one({"_id": share["_id"]})


def _asked(share: dict[str, Any]) -> bool:
    """Whether WeChat Pay may have acted on the plan: a subsidy paid, cancelled or asked, a
    split asked."""
    return any(
        share.get(flag)
        for flag in ("subsidy_asked", "split_asked", "subsidy_id", "subsidy_cancelled")
    )


def _sold(order: Order, sub: SubOrder) -> bool:
    """Whether the merchant's goods of the order stay sold (not given back, whole or parcel)."""
    return order["status"] == OrderStatus.COMPLETED and sub["merchant_id"] not in (
        order.get("parcel_refunds") or {}
    )


def _plan(db: Db, order: Order, sub: SubOrder) -> dict[str, Any] | None:
    """What the sub-order shares, as the order stands now."""
    refunds = sub_order_refunds(db, order["_id"], sub["out_trade_no"])
    refunded = sum(r["amount"] for r in refunds)
    sold = _sold(order, sub)
    commission, statement_id = 0, None
    if sold:
        figures = sale_figures(db, order, sub["merchant_id"])
        if figures is None:
            return None
        held = sub["amount"] - refunded + sub["subsidy"]
        commission = min(figures.commission, held * MAX_SHARE_BP // 10_000)
        statement_id = figures.statement_id
        if commission < figures.commission:
            log(
                "profit_share_capped",
                "WARNING",
                sub_order=sub["out_trade_no"],
                statement=figures.commission,
                capped=commission,
            )
    left = sub["amount"] - refunded
    if sold and sub["subsidy"] > 0:
        state = S.SUBSIDY_OWED
    elif sub["subsidy"] > 0 and left > 0 and wechat_refunded(refunds):
        state = S.SUBSIDY_CANCEL_OWED
    elif sub["subsidy"] > 0 and left > 0:
        # goods given back for nothing (the buyer paid only freight): WeChat Pay has no refund
        # to cancel the subsidy on, so nothing can be split or finished; WeChat Pay releases
        # what is left after 180 days (an operator sees it)
        _left_to_wechat(db, order, sub)
        state = S.FINISHED
    else:
        state = S.SPLIT_OWED if left > 0 else S.FINISHED
    return {
        "_id": sub["out_trade_no"],
        "order_id": order["_id"],
        "merchant_id": sub["merchant_id"],
        "statement_id": statement_id,  # the statement that counted the commission
        "sub_mchid": sub["sub_mchid"],
        "transaction_id": (order.get("sub_transactions") or {}).get(sub["out_trade_no"]),
        "paid": sub["amount"],
        "refunded": refunded,
        "subsidy": sub["subsidy"] if sold else 0,
        "commission": commission,
        "out_subsidy_no": f"B{sub['out_trade_no']}",
        "out_order_no": f"{'P' if commission else 'F'}{sub['out_trade_no']}",
        "state": state,
        "updated_at": utcnow(),
    }


def _left_to_wechat(db: Db, order: Order, sub: SubOrder) -> None:
    record_risk_event(
        db,
        f"profit_share_left_to_wechat:{sub['out_trade_no']}",
        "profit_share_left_to_wechat",
        "flag",
        order_id=order["_id"],
        sub_order=sub["out_trade_no"],
    )


def _warn_if_late(db: Db, order: Order, now: datetime) -> None:
    """An order still not shared near the end of the freeze: WeChat Pay will release it all
    to the merchant, commission included. An operator must look."""
    paid_at = order.get("paid_at")
    if paid_at is not None and paid_at + FROZEN_FOR - WARN_BEFORE <= now:
        record_risk_event(
            db,
            f"profit_share_late:{order['_id']}",
            "profit_share_late",
            "flag",
            order_id=order["_id"],
            paid_at=paid_at.isoformat(),
        )
