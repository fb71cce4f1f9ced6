"""Order notices: one subscribe message per event, only to a buyer who granted its template.

Each kind of notice has a template of its own (RETAIL_NOTICE_TEMPLATES: the template's id and
which of the notice's values fills each of its keys, since every template chosen from
WeChat's library names its keys differently), so a buyer's grant for one never pays for
another, and marketing (the win-back coupon message) has its own template too.

At most once: the notice's id names the event (`shipped:<order>:<parcel>`), and it is
recorded before it is sent, so a retry, a second process or a replayed effect finds it and
sends nothing; a grant is spent only by a notice that WeChat took (a refusal of the user
drops their grants, a busy WeChat gives the grant back: that notice is not sent again). Values
are cut to WeChat's rules for each key type (developers.weixin.qq.com/miniprogram/dev/
OpenApiDoc/mp-message-management/subscribe-message/sendMessage.html; decision 0022).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from pymongo.errors import DuplicateKeyError

from retail.adapters.wechat import BAD_DATA, USER_REFUSED, wechat_api
from retail.common.clock import utcnow
from retail.common.errors import ConfigurationError, RetailError
from retail.common.logs import log
from retail.common.settings import settings
from retail.store import Db

from .grants import drop_grants, give_back_grant, take_grant

SHANGHAI = timezone(timedelta(hours=8))
Value = str | int | datetime


class Notice(str, Enum):
    SHIPPED = "shipped"  # order, items, carrier, tracking_no, shipped_at
    PICKUP_READY = "pickup_ready"  # order, items, store, pickup_code, paid_at
    REFUND_RESULT = "refund_result"  # order, items, amount, result, at
    GROUP_RESULT = "group_result"  # order, items, result, at


class NoticeOutcome(str, Enum):
    SENT = "sent"
    ALREADY = "already"  # this event's notice was recorded before
    NOT_CONFIGURED = "not_configured"
    NO_GRANT = "no_grant"
    REFUSED = "refused"
    FAILED = "failed"


def templates() -> dict[str, dict[str, Any]]:
    """RETAIL_NOTICE_TEMPLATES: {kind: {"template_id": ..., "fields": {key: value name}}}.
    Raises ConfigurationError when it is not that shape."""
    name = "RETAIL_NOTICE_TEMPLATES"
    try:
        given = json.loads(settings().RETAIL_NOTICE_TEMPLATES)
    except ValueError:
        raise ConfigurationError(name, "must be a JSON object") from None
    kinds = {kind.value for kind in Notice}
    if not isinstance(given, dict) or not set(given) <= kinds:
        raise ConfigurationError(name, f"maps notice kinds ({', '.join(sorted(kinds))})")
    for kind, template in given.items():
        fields = template.get("fields") if isinstance(template, dict) else None
        if not (
            isinstance(template, dict)
            and isinstance(template.get("template_id"), str)
            and isinstance(fields, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
        ):
            raise ConfigurationError(name, f"{kind}: needs template_id and fields")
    return given


def send_notice(
    db: Db, kind: Notice, event: str, openid: str, page: str, values: dict[str, Value]
) -> NoticeOutcome:
    """Send the `kind` notice of `event` (e.g. an order id and parcel) to `openid`, at most
    once, spending one of their grants for its template. Never raises."""
    try:
        template = templates().get(kind.value)
    except ConfigurationError as exc:
        log("notice_templates_invalid", "ERROR", setting=exc.setting)
        return NoticeOutcome.NOT_CONFIGURED
    if template is None:
        return NoticeOutcome.NOT_CONFIGURED
    template_id = template["template_id"]
    notice_id = f"{kind.value}:{event}"
    try:
        db.notices.insert_one(
            {"_id": notice_id, "openid": openid, "template_id": template_id, "at": utcnow()}
        )
    except DuplicateKeyError:
        return NoticeOutcome.ALREADY
    outcome = _send(db, openid, template_id, page, _data(template["fields"], values))
    db.notices.update_one({"_id": notice_id}, {"$set": {"outcome": outcome.value}})
    log("notice_sent", kind=kind.value, outcome=outcome.value)
    return outcome


def _send(db: Db, openid: str, template_id: str, page: str, data: dict[str, str]) -> NoticeOutcome:
    if not take_grant(db, openid, template_id):
        return NoticeOutcome.NO_GRANT
    try:
        errcode = wechat_api().send_subscribe_message(
            openid, template_id, page, data, settings().WECHAT_MINIPROGRAM_STATE
        )
    except RetailError:
        give_back_grant(db, openid, template_id)
        return NoticeOutcome.FAILED
    if errcode == USER_REFUSED:
        drop_grants(db, openid, template_id)
        return NoticeOutcome.REFUSED
    if errcode not in (0, BAD_DATA):  # 47003: WeChat took the grant's message and refused it
        give_back_grant(db, openid, template_id)
    return NoticeOutcome.SENT if errcode == 0 else NoticeOutcome.FAILED


def _data(fields: dict[str, str], values: dict[str, Value]) -> dict[str, str]:
    """Each template key filled from the value it names, cut to the key type's rule."""
    return {key: fit(key, values.get(name, "")) for key, name in fields.items()}


# Characters each key type takes and how many (sendMessage's 参数类型 table); a type not
# listed is cut to 20 characters as `thing` is.
_KEY_RULES: dict[str, tuple[str | None, int]] = {
    "character_string": (r"[\x21-\x7e]", 32),
    "number": (r"[0-9.]", 32),
    "letter": (r"[A-Za-z]", 32),
    "symbol": (r"[^\w\s]", 5),
    "phone_number": (r"[0-9+\-]", 17),
    "car_number": (r"[\w\u4e00-\u9fff]", 8),
    "phrase": (r"[\u4e00-\u9fff]", 5),
    "name": (None, 10),
}
EMPTY = "-"  # WeChat refuses an empty value


def fit(key: str, value: Value) -> str:
    """A value as WeChat accepts it for a key of this type (thing ≤ 20 characters,
    character_string ≤ 32 of letters, digits and symbols, phrase ≤ 5 Chinese characters,
    number ≤ 32 digits, name ≤ 10, symbol ≤ 5, car_number ≤ 8, amount a sum of money, time
    and date in Beijing time); never empty."""
    kind = re.sub(r"\d+$", "", key)
    if isinstance(value, datetime):
        local = value.astimezone(SHANGHAI)
        return f"{local:%Y年%m月%d日}" if kind == "date" else f"{local:%Y年%m月%d日 %H:%M}"
    if kind == "amount":
        return f"¥{int(value) / 100:.2f}" if isinstance(value, int) else str(value)[:11] or EMPTY
    text = str(value)
    allowed, most = _KEY_RULES.get(kind, (None, 20))
    if allowed is not None:
        text = "".join(re.findall(allowed, text))
    if len(text) > most:
        text = text[: most - 1] + "…" if kind in ("thing", "name") else text[:most]
    return text or EMPTY
