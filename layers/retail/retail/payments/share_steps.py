"""One sub-order's share (`profit_shares`) moved through WeChat Pay's steps
(payments.profit_sharing plans it): subsidy paid or cancelled, split with finish or finish
alone, the split queried until FINISHED; and, for goods given back after the split, the
commission returned to the merchant and the subsidy to the platform (docs/decisions/0025).

Each step is one conditional change of the record's state. A request that moves money is
marked asked on the record before it is sent (`subsidy_asked`, `split_asked`): a plan that is
asked is never changed again, and asking it again is the same request (same number, same
parameters) at WeChat Pay, so no money moves twice whatever dies where."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from retail.common.clock import day_of, utcnow
from retail.common.errors import UpstreamUnavailable
from retail.common.logs import log
from retail.common.vocabulary import RefundStatus, Word
from retail.risk import record_risk_event
from retail.store import Db

from . import sharing_api
from .client import WeChatPayClient

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
    SUBSIDY_RETURN_OWED = "SUBSIDY_RETURN_OWED"  # the subsidy comes back to the platform
    GIVEN_BACK = "GIVEN_BACK"  # refunded after the split, and both returned


S = ShareState
DONE = (S.FINISHED, S.GIVEN_BACK)
PLANNED = (S.SUBSIDY_OWED, S.SUBSIDY_CANCEL_OWED, S.SPLIT_OWED)  # nothing split yet
GIVING_BACK = (S.RETURN_OWED, S.RETURNING, S.SUBSIDY_RETURN_OWED)
SUBSIDY_STEPS = (S.SUBSIDY_OWED, S.SUBSIDY_CANCEL_OWED)
Step = Callable[[WeChatPayClient, dict[str, Any]], dict[str, Any]]


def advance(
    db: Db, client: WeChatPayClient, share: dict[str, Any], *, only: tuple[str, ...] = ()
) -> dict[str, Any]:
    """As far as WeChat Pay lets the share go now (only through the states `only` names,
    when given); the record as it is after."""
    try:
        for _ in range(6):  # subsidy, split, query; or return, query, subsidy back, finish
            if only and share["state"] not in only:
                break
            moved = _step(db, client, share)
            if moved is None:
                break
            share = moved
    except UpstreamUnavailable:
        log("profit_share_later", "WARNING", sub_order=share["_id"], state=share["state"])
    return share


def _step(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    state = share["state"]
    if state == S.SUBSIDY_OWED:
        return _pay_subsidy(db, client, share)
    if state == S.SUBSIDY_CANCEL_OWED:
        return _cancel_subsidy(db, client, share)
    if state == S.SPLIT_OWED:
        return _split(db, client, share)
    if state == S.SPLITTING:
        return _splitting(db, client, share)
    if state in GIVING_BACK:
        return _give_back(db, client, share)
    return None


def _pay_subsidy(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    asked = mark(db, share, "subsidy_asked")
    if asked is None:
        return None
    answer = sharing_api.pay_subsidy(client, asked)
    if _refused(db, asked, answer) or answer.get("result") == "FAIL":
        unmark(db, asked, "subsidy_asked")  # refused: nothing moved, the plan may change
        return None
    return move(db, asked, S.SPLIT_OWED, subsidy_id=answer.get("subsidy_id"))


def _cancel_subsidy(
    db: Db, client: WeChatPayClient, share: dict[str, Any]
) -> dict[str, Any] | None:
    """The declared subsidy withdrawn. Asked before, its answer lost: WeChat Pay refusing it
    again means it is cancelled already (a finish refused for want of it says otherwise,
    and a refusal that lasts a day is an operator's)."""
    again = bool(share.get("subsidy_asked"))
    asked = mark(db, share, "subsidy_asked")
    if asked is None:
        return None
    answer = sharing_api.cancel_subsidy(client, asked)
    done = answer.get("result") == "SUCCESS" or (again and answer.get("code") == "INVALID_REQUEST")
    if not done:
        _refused(db, asked, answer)
        return None
    return move(db, asked, S.SPLIT_OWED, subsidy_cancelled=True)


def _split(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    """The split with finish, or the finish alone; one already asked is looked up first (the
    answer to it may have been lost)."""
    if share.get("split_asked"):
        if sharing_api.query_split(client, share) is not None:
            return move(db, share, S.SPLITTING)
        unmark(db, share, "split_asked")  # it never reached WeChat Pay: planned again first
        return None
    asked = mark(db, share, "split_asked")
    if asked is None:
        return None
    ask: Step = sharing_api.split if asked["commission"] > 0 else sharing_api.finish
    answer = ask(client, asked)
    if _refused(db, asked, answer):
        unmark(db, asked, "split_asked")  # refused: nothing moved, the plan may change
        return None
    return move(db, asked, S.SPLITTING, wechat_order_id=answer.get("order_id"))


def _splitting(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    found = sharing_api.query_split(client, share)
    if found is None or found.get("status") != "FINISHED":
        return None
    receivers = found.get("receivers") or []
    took = sum(int(r.get("amount", 0)) for r in receivers if r.get("result") == "SUCCESS")
    if took != share["commission"]:  # a receiver closed: the commission did not move
        record_risk_event(
            db,
            f"profit_share_receiver_failed:{share['_id']}",
            "profit_share_receiver_failed",
            "flag",
            order_id=share["order_id"],
            sub_order=share["_id"],
            commission=share["commission"],
            moved=took,
            receivers=[{k: r.get(k) for k in ("result", "fail_reason")} for r in receivers],
        )
    split_day = _day_taken(receivers) if took else None
    marks = {"split_day": split_day} if split_day else {}
    return move(
        db,
        share,
        S.FINISHED,
        receivers=receivers,
        finish_amount=found.get("finish_amount"),
        **marks,
    )


def _day_taken(receivers: list[dict[str, Any]]) -> str | None:
    """The day (Asia/Shanghai, as WeChat Pay's bills) the commission reached the platform's
    account: its receivers' finish_time; the platform's fund-flow bill of that day lists it
    (payments.fund_reconcile)."""
    for receiver in receivers:
        try:
            finished = datetime.fromisoformat(str(receiver.get("finish_time")))
        except ValueError:
            continue
        if receiver.get("result") == "SUCCESS" and finished.tzinfo is not None:
            return day_of(finished).isoformat()
    return None


def _give_back(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    """The commission back to the merchant (asked, then queried while PROCESSING; a return
    that failed is asked again under a new number, as WeChat Pay's FAQ says), then the
    subsidy back to the platform with the merchant's refund; a sub-order whose subsidy was
    paid before its goods came back, but never split, is then finished."""
    state = share["state"]
    moved = taken_by_platform(share)
    if state == S.RETURN_OWED and moved == 0:
        return move(db, share, S.SUBSIDY_RETURN_OWED)
    if state == S.RETURN_OWED:
        numbered = {**share, "out_return_no": _return_no(share), "return_amount": moved}
        answer = sharing_api.return_commission(client, numbered)
        if _refused(db, share, answer):
            return None
        return move(db, share, S.RETURNING, out_return_no=numbered["out_return_no"])
    if state == S.RETURNING:
        found = sharing_api.query_return(client, share) or {}
        if found.get("result") in ("FAILED", "FAIL"):
            return move(db, share, S.RETURN_OWED, return_tries=share.get("return_tries", 1) + 1)
        if found.get("result") != "SUCCESS":
            return None
        return move(db, share, S.SUBSIDY_RETURN_OWED, returned=found.get("amount"))
    return _subsidy_back(db, client, share)


def _subsidy_back(db: Db, client: WeChatPayClient, share: dict[str, Any]) -> dict[str, Any] | None:
    """The paid subsidy back to the platform, with a WeChat refund of the sub-order."""
    after = S.SPLIT_OWED if share.get("finish_after_return") else S.GIVEN_BACK
    if not share.get("subsidy_id"):
        return move(db, share, after)
    refunds = sub_order_refunds(db, share["order_id"], share["_id"])
    refund_id = _refund_id(refunds)
    if refund_id is None and not wechat_refunded(refunds):
        # goods given back for nothing: no WeChat refund to return the subsidy with
        record_risk_event(
            db,
            f"profit_share_subsidy_kept:{share['_id']}",
            "profit_share_subsidy_kept",
            "flag",
            order_id=share["order_id"],
            sub_order=share["_id"],
            subsidy=share["subsidy"],
        )
        return move(db, share, after)
    if refund_id is None:  # WeChat Pay has not accepted the refund yet
        return None
    answer = sharing_api.return_subsidy(client, share, refund_id)
    if _refused(db, share, answer) or answer.get("result") != "SUCCESS":
        return None
    return move(db, share, after, subsidy_returned=answer.get("amount"))


def taken_by_platform(share: dict[str, Any]) -> int:
    """What the split took to the platform (receivers that succeeded)."""
    receivers = share.get("receivers") or []
    return sum(int(r.get("amount", 0)) for r in receivers if r.get("result") == "SUCCESS")


def _return_no(share: dict[str, Any]) -> str:
    tries = int(share.get("return_tries", 1))
    return f"R{share['_id']}" + (f"-{tries}" if tries > 1 else "")


def sub_order_refunds(db: Db, order_id: str, sub_order: str) -> list[dict[str, Any]]:
    """The sub-order's refunds that were not closed unpaid (one read of the order's refunds,
    an index on order_id)."""
    fields = {"out_trade_no": 1, "amount": 1, "status": 1, "refund_id": 1}
    return [
        r
        for r in db.refunds.find({"order_id": order_id}, fields)
        if r.get("out_trade_no") == sub_order and r["status"] != RefundStatus.CLOSED
    ]


def wechat_refunded(refunds: list[dict[str, Any]]) -> bool:
    """Whether WeChat Pay was asked to give any of these back (a refund of nothing is
    recorded, never sent)."""
    return any(r["amount"] > 0 for r in refunds)


def _refund_id(refunds: list[dict[str, Any]]) -> str | None:
    """WeChat Pay's id of a refund that gives the sub-order back (succeeded, or accepted)."""
    accepted = [r for r in refunds if r.get("refund_id")]
    succeeded = [r for r in accepted if r["status"] == RefundStatus.SUCCESS]
    if succeeded:
        return str(succeeded[0]["refund_id"])
    return str(accepted[-1]["refund_id"]) if accepted else None


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
            message=message,
        )
    return True


def mark(db: Db, share: dict[str, Any], flag: str) -> dict[str, Any] | None:
    """The share, marked as having asked WeChat Pay (`flag`), in the state it was read in."""
    marked: dict[str, Any] | None = db.profit_shares.find_one_and_update(
        {"_id": share["_id"], "state": share["state"]},
        {"$set": {flag: True, "updated_at": utcnow()}},
        return_document=ReturnDocument.AFTER,
    )
    return marked


def unmark(db: Db, share: dict[str, Any], flag: str) -> None:
    """WeChat Pay refused what `flag` asked: nothing moved there, so it is not asked."""
    db.profit_shares.update_one(
        {"_id": share["_id"], "state": share["state"]}, {"$unset": {flag: ""}}
    )


def move(db: Db, share: dict[str, Any], state: ShareState, **fields: Any) -> dict[str, Any] | None:
    """From the state the share was read in to `state`, once."""
    moved: dict[str, Any] | None = db.profit_shares.find_one_and_update(
        {"_id": share["_id"], "state": share["state"]},
        {"$set": {"state": state, "updated_at": utcnow(), **fields}, "$unset": {"refusal": ""}},
        return_document=ReturnDocument.AFTER,
    )
    return moved
