"""platform_event: WeChat's message push, in secure mode only.

The runtime has refused anything whose signature fails (`is_from_wechat`); what reaches
`handle_push` is WeChat's, sealed for this app. Each event goes to the package that owns what
it speaks of, and applying it twice changes nothing the first did not (WeChat sends again
when it did not hear "success" in time):
- `wxa_media_check`: an image's content check (content, then the review it belongs to);
- `trade_manage_order_settlement`: WeChat recorded an order's shipping, or settled it after
  the buyer's receipt (orders, which asks get_order rather than trusting the push's fields);
- anything else is acknowledged and logged.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from retail.adapters.wechat_push import (
    Rejected,
    check_push,
    check_url_verification,
    open_push,
    push_secrets,
)
from retail.common.database import database
from retail.common.errors import Unauthenticated
from retail.common.logs import log
from retail.common.models import PlainText
from retail.content import record_image_result
from retail.orders import apply_settlement_event
from retail.reviews import settle_review_checks
from retail.store import Db

SUCCESS = PlainText(text="success")


class PushRequest(BaseModel):
    """WeChat's GET (its query: echostr) or POST (`{"ToUserName", "Encrypt"}`); WeChat may
    add fields, and what matters was checked from the raw request."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    echostr: str | None = None
    Encrypt: str | None = None


def is_from_wechat(body: bytes, _headers: dict[str, str], query: dict[str, str]) -> bool:
    secrets = push_secrets()
    if secrets is None:
        log("wechat_push_not_configured", "WARNING")
        return False
    try:
        if not body.strip() and "echostr" in query:
            check_url_verification(query, secrets)
        else:
            check_push(query, body.decode("utf-8"), secrets)
    except (Rejected, UnicodeDecodeError) as exc:
        log("wechat_push_rejected", "WARNING", reason=str(exc))
        return False
    return True


def handle_push(request: PushRequest, *, db: Db | None = None) -> PlainText:
    """WeChat's URL check gets its echostr back and nothing else is looked at (its signature
    does not cover anything else: an Encrypt beside it is never opened)."""
    if request.echostr is not None or request.Encrypt is None:
        return PlainText(text=request.echostr or "")
    secrets = push_secrets()
    assert secrets is not None  # is_from_wechat refused the push otherwise
    try:
        event = open_push(request.Encrypt, secrets)
    except Rejected as exc:
        log("wechat_push_rejected", "WARNING", reason=str(exc))
        raise Unauthenticated("the push does not open with this app's key") from None
    db = db if db is not None else database()
    kind = event.get("Event")
    if kind == "wxa_media_check":
        _media_checked(db, event)
    elif kind == "trade_manage_order_settlement":
        outcome = apply_settlement_event(db, event)
        log("wechat_settlement_event", outcome=outcome)
    else:
        log("wechat_push_ignored", kind=str(kind)[:60])
    return SUCCESS


def _media_checked(db: Db, event: dict[str, Any]) -> None:
    """An image's answer: valid only when the event's errcode is 0 (-1008: WeChat could not
    download it), else the image is UNCHECKED and its review held for an operator."""
    trace_id, result = event.get("trace_id"), event.get("result")
    if not isinstance(trace_id, str) or not trace_id:
        log("wechat_push_ignored", kind="wxa_media_check without trace_id")
        return
    suggest = result.get("suggest") if isinstance(result, dict) else None
    label = result.get("label") if isinstance(result, dict) else None
    if event.get("errcode", 0) != 0 or not isinstance(suggest, str):
        suggest = "unchecked"
    number = label if isinstance(label, int) and not isinstance(label, bool) else 0
    number = number if 0 <= number < 2**31 else 0  # WeChat's labels are small numbers
    subject = record_image_result(db, trace_id, suggest, number)
    if subject and subject.startswith("review:"):
        settle_review_checks(db, subject.removeprefix("review:"))
    log("media_check_applied", trace_id=trace_id, suggest=suggest, subject=subject)
