"""Timer (profit_sharing_run): the platform's commission taken by profit sharing and the rest
released to each merchant, per sub-order of a combined payment (docs/decisions/0025).

A sub-order's money sits frozen in its merchant's account until then. Its share record
(`profit_shares`, one per sub-order) is written once, when the order is ready, with the
commission its merchant's written statement counts (settlement.sale_figures) and the subsidy
declared at prepay. Then, in WeChat Pay's order: the subsidy paid (or cancelled where a
refund gave the sub-order back), the split with `finish` (or the finish alone where there is
no commission), and the split queried until WeChat Pay says FINISHED. A refund of the
merchant's goods after the split (its parcel's, or the whole order's) puts the order back in
the to-do set: the platform returns the commission to the merchant (分账回退, as its
statement takes the commission back) and the merchant the subsidy to the platform (补差回退).
Each step is one conditional change of the record's state, so no step is made twice however
runs interleave, and each request carries its own number, so a retried one is the same one
at WeChat Pay.

An order is ready once it completed, its refund window has passed
(RETAIL_PROFIT_SHARING_DELAY_DAYS), WeChat has settled it (where it holds it) and no refund of
it is still on its way; a refunded or cancelled order releases whatever its refunds left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from retail.common.batches import Budget
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.common.models import OUT, STRICT
from retail.common.settings import settings
from retail.common.vocabulary import OrderStatus, ParcelRefundStatus, RefundStatus, Word
from retail.orders import due_for_sharing, look_again, shared, wechat_released
from retail.orders.document import Order, SubOrder
from retail.risk import record_risk_event
from retail.settlement import sale_figures
from retail.store import Db

from . import sharing_api
from .client import WeChatPayClient
from .connect import wechatpay_client

RECHECK = timedelta(hours=1)  # an order not ready yet is looked at again after this
POLL = timedelta(minutes=5)  # a split WeChat Pay is still processing
FROZEN_FOR = timedelta(days=180)  # then WeChat Pay releases the rest to the merchant itself
WARN_BEFORE = timedelta(days=10)
PAGE = 50
GIVEN_BACK = (OrderStatus.REFUNDED, OrderStatus.CANCELLED, OrderStatus.FAILED)
# Refusals that pass: not settled yet (「订单处理中,请稍后重试」), too fast, WeChat Pay busy.
PASSING = frozenset({"INVALID_REQUEST", "FREQUENCY_LIMITED", "SYSTEM_ERROR"})


class ShareState(Word):
    SUBSIDY_OWED = "SUBSIDY_OWED"  # the declared subsidy is to be paid first
    SUBSIDY_CANCEL_OWED = "SUBSIDY_CANCEL_OWED"  # refunded: the declared subsidy is withdrawn
    SPLIT_OWED = "SPLIT_OWED"  # the split (or the finish) is to be asked
    SPLITTING = "SPLITTING"  # asked: WeChat Pay is processing it
    FINISHED = "FINISHED"  # the commission is the platform's, the rest the merchant's
    RETURN_OWED = "RETURN_OWED"  # refunded after the split: the commission goes back
    RETURNING = "RETURNING"  # asked: WeChat Pay is processing the return
    SUBSIDY_RETURN_OWED = "SUBSIDY_RETURN_OWED"  # and the subsidy comes back to the platform
    GIVEN_BACK = "GIVEN_BACK"  # refunded after the split, and both returned


DONE = (ShareState.FINISHED, ShareState.GIVEN_BACK)


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
    wait = _not_ready(db, order, now)
    if wait is not None:
        look_again(db, order, wait)
        return 0, False
    finished, open_ = 0, 0
    for number, sub in enumerate(order["sub_orders"], start=1):
        share = _share_of(db, order, number, sub)
        if share is None:  # its statement is not written yet
            look_again(db, order, now + RECHECK)
            return finished, False
        if share["state"] == ShareState.FINISHED and _owes_back(order, sub, share):
            share = _move(db, share, ShareState.RETURN_OWED) or share
        before = share["state"]
        share = _advance(db, client, share)
        finished += int(share["state"] in DONE and before not in DONE)
        open_ += int(share["state"] not in DONE)
    if open_:
        look_again(db, order, now + POLL)
        _warn_if_late(db, order, now)
        return finished, False
    shared(db, order, now)
    return finished, True


def _not_ready(db: Db, order: Order, now: datetime) -> datetime | None:
    """When to look at the order again, or None when its money can be shared now."""
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


def _share_of(db: Db, order: Order, number: int, sub: SubOrder) -> dict[str, Any] | None:
    """The sub-order's share record, written once with what it shares: None while the
    merchant's statement does not carry the sale yet."""
    found: dict[str, Any] | None = db.profit_shares.find_one({"_id": sub["out_trade_no"]})
    if found is not None:
        return found
    refunded = _refunded(db, order, sub)
    sold = order["status"] == OrderStatus.COMPLETED and sub["merchant_id"] not in (
        order.get("parcel_refunds") or {}
    )
    commission, statement_id = 0, None
    if sold:
        figures = sale_figures(db, order, sub["merchant_id"])
        if figures is None:
            return None
        commission = min(figures.commission, sub["amount"] - refunded + sub["subsidy"])
        statement_id = figures.statement_id
    left = sub["amount"] - refunded
    if sold and sub["subsidy"] > 0:
        state = ShareState.SUBSIDY_OWED
    elif sub["subsidy"] > 0 and left > 0:
        state = ShareState.SUBSIDY_CANCEL_OWED
    else:
        state = ShareState.SPLIT_OWED if left > 0 else ShareState.FINISHED
    transaction_id = (order.get("sub_transactions") or {}).get(sub["out_trade_no"])
    share = {
        "_id": sub["out_trade_no"],
        "order_id": order["_id"],
        "merchant_id": sub["merchant_id"],
        "statement_id": statement_id,  # the statement that counted the commission
        "sub_mchid": sub["sub_mchid"],
        "transaction_id": transaction_id,
        "paid": sub["amount"],
        "refunded": refunded,
        "subsidy": sub["subsidy"] if sold else 0,
        "commission": commission,
        "out_subsidy_no": f"B{sub['out_trade_no']}",
        "out_order_no": f"{'P' if commission else 'F'}{sub['out_trade_no']}",
        "state": state,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    try:
        db.profit_shares.insert_one(share)
    except DuplicateKeyError:  # another run wrote it first: its figures stand
        return db.profit_shares.find_one({"_id": sub["out_trade_no"]})
    log("profit_share_planned", order_id=order["_id"], sub_order=sub["out_trade_no"], number=number)
    return share


def _owes_back(order: Order, sub: SubOrder, share: dict[str, Any]) -> bool:
    """Whether a split sub-order's goods were given back since (its statement takes the
    commission back with them, and the subsidy paid for them is the platform's again)."""
    if share["commission"] == 0 and not share.get("subsidy_id"):
        return False  # nothing was split off or paid in: nothing goes back
    if order["status"] == OrderStatus.REFUNDED:
        return True
    parcel = (order.get("parcel_refunds") or {}).get(sub["merchant_id"]) or {}
    return parcel.get("status") == ParcelRefundStatus.REFUNDED


def _refunded(db: Db, order: Order, sub: SubOrder) -> int:
    """What the sub-order's merchant gave back (refunds not closed unpaid)."""
    refunds = db.refunds.find(
        {"order_id": order["_id"]}, {"out_trade_no": 1, "amount": 1, "status": 1}
    )
    return sum(
        r["amount"]
        for r in refunds
        if r.get("out_trade_no") == sub["out_trade_no"] and r["status"] != RefundStatus.CLOSED
    )


Step = Callable[[WeChatPayClient, dict[str, Any]], dict[str, Any]]


def _advance(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any]:
    """As far as WeChat Pay lets the share go now; the record as it is after."""
    try:
        for _ in range(5):  # subsidy, split, query, or return, query, subsidy back
            moved = _step(db, client, share)
            if moved is None:
                break
            share = moved
    except UpstreamUnavailable:
        log("profit_share_later", "WARNING", sub_order=share["_id"], state=share["state"])
    return share


def _step(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    state = share["state"]
    if state == ShareState.SUBSIDY_OWED:
        answer = sharing_api.pay_subsidy(client, share)
        if _refused(db, share, answer) or answer.get("result") == "FAIL":
            return None
        return _move(db, share, ShareState.SPLIT_OWED, subsidy_id=answer.get("subsidy_id"))
    if state == ShareState.SUBSIDY_CANCEL_OWED:
        answer = sharing_api.cancel_subsidy(client, share)
        if _refused(db, share, answer) or answer.get("result") != "SUCCESS":
            return None
        return _move(db, share, ShareState.SPLIT_OWED, subsidy_cancelled=True)
    if state == ShareState.SPLIT_OWED:
        ask: Step = sharing_api.split if share["commission"] > 0 else sharing_api.finish
        answer = ask(client, share)
        if _refused(db, share, answer):
            return None
        return _move(db, share, ShareState.SPLITTING, wechat_order_id=answer.get("order_id"))
    if state in (ShareState.RETURN_OWED, ShareState.RETURNING, ShareState.SUBSIDY_RETURN_OWED):
        return _give_back(db, client, share)
    if state == ShareState.SPLITTING:
        found = sharing_api.query_split(client, share)
        if found is None or found.get("status") != "FINISHED":
            return None
        return _move(
            db,
            share,
            ShareState.FINISHED,
            receivers=found.get("receivers") or [],
            finish_amount=found.get("finish_amount"),
        )
    return None


def _give_back(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    """The commission back to the merchant (asked, then queried while PROCESSING; a return
    that failed is asked again under a new number, as WeChat Pay's FAQ says), then the
    subsidy back to the platform with the merchant's refund."""
    state = share["state"]
    if state == ShareState.RETURN_OWED and share["commission"] == 0:
        return _move(db, share, ShareState.SUBSIDY_RETURN_OWED)
    if state == ShareState.RETURN_OWED:
        numbered = {**share, "out_return_no": _return_no(share)}
        answer = sharing_api.return_commission(client, numbered)
        if _refused(db, share, answer):
            return None
        return _move(db, share, ShareState.RETURNING, out_return_no=numbered["out_return_no"])
    if state == ShareState.RETURNING:
        found = sharing_api.query_return(client, share) or {}
        if found.get("result") in ("FAILED", "FAIL"):
            tries = share.get("return_tries", 1) + 1
            return _move(db, share, ShareState.RETURN_OWED, return_tries=tries)
        if found.get("result") != "SUCCESS":
            return None
        return _move(db, share, ShareState.SUBSIDY_RETURN_OWED, returned=found.get("amount"))
    refund_id = _refund_id(db, share)
    if share["subsidy"] == 0 or not share.get("subsidy_id"):
        return _move(db, share, ShareState.GIVEN_BACK)
    if refund_id is None:
        return None
    answer = sharing_api.return_subsidy(client, share, refund_id)
    if _refused(db, share, answer) or answer.get("result") != "SUCCESS":
        return None
    return _move(db, share, ShareState.GIVEN_BACK, subsidy_returned=answer.get("amount"))


def _return_no(share: dict[str, Any]) -> str:
    tries = int(share.get("return_tries", 1))
    return f"R{share['_id']}" + (f"-{tries}" if tries > 1 else "")


def _refund_id(db: Db, share: dict[str, Any]) -> str | None:
    """WeChat Pay's id of the refund that gave the sub-order back."""
    for refund in db.refunds.find({"order_id": share["order_id"]}):
        if refund.get("out_trade_no") == share["_id"] and refund["status"] == RefundStatus.SUCCESS:
            return str(refund.get("refund_id") or "") or None
    return None


def _refused(db: Db, share: dict[str, Any], answer: dict[str, Any]) -> bool:
    """WeChat Pay refused the step: noted on the record and tried again at the next look (an
    order not settled yet is refused with INVALID_REQUEST until it is). A refusal that is not
    passing, or one that has lasted a day, is a risk event an operator sees (a commission
    over the share WeChat Pay allows, a merchant without the balance)."""
    code = answer.get("code")
    if not code:
        return False
    now, prior = utcnow(), share.get("refusal") or {}
    since = prior["since"] if prior.get("code") == code else now
    message = answer.get("message")
    db.profit_shares.update_one(
        {"_id": share["_id"]},
        {"$set": {"refusal": {"code": code, "message": message, "at": now, "since": since}}},
    )
    log("profit_share_refused", "WARNING", sub_order=share["_id"], code=code)
    if code not in PASSING or since <= now - timedelta(days=1):
        record_risk_event(
            db,
            f"profit_share_refused:{share['_id']}:{share['state']}",
            "profit_share_refused",
            "flag",
            order_id=share["order_id"],
            sub_order=share["_id"],
            code=code,
            message=answer.get("message"),
        )
    return True


def _move(db: Db, share: dict[str, Any], state: ShareState, **fields: Any) -> dict[str, Any] | None:
    """From the state the share was read in to `state`, once."""
    moved: dict[str, Any] | None = db.profit_shares.find_one_and_update(
        {"_id": share["_id"], "state": share["state"]},
        {"$set": {"state": state, "updated_at": utcnow(), **fields}, "$unset": {"refusal": ""}},
        return_document=ReturnDocument.AFTER,
    )
    return moved


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
