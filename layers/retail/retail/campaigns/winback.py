"""Timer coupon_lapsed: users who have paid before but not in RETAIL_LAPSED_DAYS get one
win-back coupon per campaign window, and a subscribe message where they granted one.
RETAIL_WINBACK_SEGMENTS narrows it to RFM segments (e.g. `at_risk,sleeping`), as the
analytics rollup last put them on each user.

The coupon's id names the window (`<template>:<openid>:w<window>`), so a second run, a
concurrent run, or a run after a crash grants nothing twice; the user is then marked with
the window so later batches skip them.

The scan is linear: users are read in the order of their last payment from where the
window's previous run stopped (`job_cursors`), so a run reads the users who lapsed since,
not every lapsed user again; a new window starts from the oldest. Narrowed to segments, a
run reads the segments' lapsed users (by the (segment, last_paid_at) index) whatever the
cursor, since a user can enter a segment after the cursor passed them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from retail.adapters.wechat import BAD_DATA, USER_REFUSED, wechat_api
from retail.common.batches import BatchRequest, BatchSummary, Budget, Outcome, run_batches
from retail.common.clock import to_millis, utcnow
from retail.common.database import database
from retail.common.errors import RetailError
from retail.common.logs import log
from retail.common.pseudonyms import pseudonym
from retail.common.settings import settings
from retail.coupons import grant_coupon
from retail.notices import drop_grants, give_back_grant, take_grant
from retail.store import Db

DAY_MS = 86_400_000
JOB = "coupon_lapsed"


class WinBackSummary(BatchSummary):
    scanned: int = 0
    granted: int = 0
    messaged: int = 0


def win_back_lapsed_users(
    cmd: BatchRequest, *, budget: Budget, db: Db | None = None
) -> WinBackSummary:
    db = db if db is not None else database()
    config = settings()
    now = utcnow()
    window = to_millis(now) // (config.RETAIL_WINBACK_WINDOW_DAYS * DAY_MS)
    template = db.coupon_templates.find_one(
        {"_id": config.RETAIL_WINBACK_TEMPLATE, "status": "ACTIVE"}
    )
    summary = WinBackSummary()
    if template is None:
        log("winback_template_missing", "WARNING", template_id=config.RETAIL_WINBACK_TEMPLATE)
        return summary
    paid_before: dict[str, Any] = {"$lt": now - timedelta(days=config.RETAIL_LAPSED_DAYS)}
    lapsed: dict[str, Any] = {"last_paid_at": paid_before, "winback_window": {"$ne": window}}
    segments = [s.strip() for s in config.RETAIL_WINBACK_SEGMENTS.split(",") if s.strip()]
    if segments:  # a user may enter a segment behind any cursor: each run reads them all
        lapsed["segment"] = {"$in": segments}
    cursor = {} if segments else db.job_cursors.find_one({"_id": JOB, "window": window}) or {}

    def fetch(limit: int) -> list[dict[str, Any]]:
        if "after" in cursor:
            paid_before["$gte"] = cursor["after"]
        found = db.users.find(lapsed, {"last_paid_at": 1}, sort=[("last_paid_at", 1)], limit=limit)
        return list(found)

    def win_back(user: dict[str, Any]) -> Outcome:
        outcome = _win_back(user)
        if not segments:
            cursor["after"] = user["last_paid_at"]
            update = {"$set": {"window": window, "after": user["last_paid_at"]}}
            db.job_cursors.update_one({"_id": JOB}, update, upsert=True)
        return outcome

    def _win_back(user: dict[str, Any]) -> Outcome:
        summary.scanned += 1
        coupon = grant_coupon(
            db, template, user["_id"], f"{template['_id']}:{pseudonym(user['_id'])}:w{window}"
        )
        db.users.update_one({"_id": user["_id"]}, {"$set": {"winback_window": window}})
        if coupon is None:
            return "skipped"  # the campaign's quota is spent
        summary.granted += 1
        summary.messaged += _message(db, user["_id"], coupon)
        return "processed"

    return run_batches(cmd, budget, fetch, win_back, summary)


def _message(db: Db, openid: str, coupon: dict[str, Any]) -> int:
    """1 if a subscribe message went out; only where the user has a grant for the win-back
    template itself (never an order notice's). The message states what happened to the
    user's account, a coupon credited, in the words of a coupon-arrival template: no
    promotional or inducing text, which WeChat's rules keep out of subscribe messages
    (decision 0022)."""
    template_id = settings().RETAIL_WINBACK_MESSAGE_TEMPLATE
    if not template_id or not take_grant(db, openid, template_id):
        return 0
    expires = coupon.get("expires_at")
    data = {
        "thing1": coupon["title"][:20],
        "amount2": f"¥{coupon['discount'] / 100:.2f}",
        "date3": f"{expires:%Y年%m月%d日}" if expires else "长期有效",
        "thing4": "优惠券已发放到您的账户",
    }
    try:
        errcode = wechat_api().send_subscribe_message(
            openid, template_id, "pages/coupon/list", data, settings().WECHAT_MINIPROGRAM_STATE
        )
    except RetailError:
        give_back_grant(db, openid, template_id)
        return 0
    if errcode == USER_REFUSED:
        drop_grants(db, openid, template_id)
    elif errcode not in (0, BAD_DATA):
        give_back_grant(db, openid, template_id)
    return int(errcode == 0)
