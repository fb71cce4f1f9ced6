"""A local WeChat server API for dev and tests (RETAIL_WECHAT_CLIENT=fake, never in prod).

It answers the paths the back end calls as WeChat documents them, with WeChat's errcodes,
records every call in the platform journal (platform_journal.py), and keeps what an API
changes in the store, so that every gateway worker sees one WeChat. The client side
(retail.adapters.wechat) is the production code either way.

Sign-in: a code gives a stable openid ("dev:<openid>" gives that openid); codes starting
"invalid", "ratelimited", "blocked" or "busy" rehearse 40029, 45011, 40226 and -1.
Subscribe messages to openids starting "o-refused" fail with 43101, "o-baddata" with 47003.

Content security (msg_sec_check and media_check_async, version 2): text containing 违规样例 is
risky, 待审样例 review, anything else passes (docs/contract.md); an image whose link's
path contains "risky" or "needs-review" is judged so, one containing "undownloadable"
answers -1008, and each image's answer is pushed to platform_event (wechat_push_sender.py),
as WeChat does.

Order shipping management is its own module (wechat_shipping.py), routed from here.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
import urllib.parse
from collections.abc import Callable
from typing import Any, ClassVar

from retail.adapters.wechat_push import push_secrets

from .platform_journal import record
from .wechat_answers import OK, Answer, error
from .wechat_push_sender import queue_push
from .wechat_shipping import ROUTES as SHIPPING_ROUTES

# The sample mini-program's notice templates (miniprogram/lib/config.js), with keys as WeChat's
# library templates name them; the dev gateway and tests use it for RETAIL_NOTICE_TEMPLATES.
SAMPLE_NOTICE_TEMPLATES = {
    "shipped": {
        "template_id": "order-shipped",
        "fields": {
            "character_string1": "order",
            "thing2": "items",
            "thing3": "carrier",
            "character_string4": "tracking_no",
            "time5": "shipped_at",
        },
    },
    "pickup_ready": {
        "template_id": "pickup-ready",
        "fields": {
            "character_string1": "order",
            "thing2": "items",
            "thing3": "store",
            "character_string4": "pickup_code",
        },
    },
    "refund_result": {
        "template_id": "refund-result",
        "fields": {
            "character_string1": "order",
            "amount2": "amount",
            "phrase3": "result",
            "time4": "at",
        },
    },
    "group_result": {
        "template_id": "group-result",
        "fields": {"thing1": "items", "phrase2": "result", "character_string3": "order"},
    },
}

# The local WeChat's message-push settings (Token, EncodingAESKey), where none are configured.
PUSH_TOKEN = "sandbox-push-token"
PUSH_AES_KEY = "c2FuZGJveC1tZXNzYWdlLXB1c2gta2V5LTMyYnl0ZXM"


class WeChatSandbox:
    """The Transport (retail.adapters.wechat.Transport) that is WeChat, locally."""

    SIGN_IN_ERRORS: ClassVar[dict[str, int]] = {
        "invalid": 40029,
        "ratelimited": 45011,
        "blocked": 40226,
        "busy": -1,
    }

    def get_json(self, path: str, params: dict[str, str]) -> Answer:
        answer = self._sign_in(params) if path == "/sns/jscode2session" else _unknown(path)
        record("GET", path, params, None, 200, _brief(answer))
        return answer

    def post_json(self, path: str, params: dict[str, str], body: dict[str, Any]) -> Answer:
        _network_jitter()
        route = _ROUTES.get(path)
        if route is None:
            answer = _unknown(path)
        elif path != "/cgi-bin/stable_token" and not params.get("access_token"):
            answer = error(41001, "access_token missing")
        else:
            answer = route(body)
        record("POST", path, params, body, 200, _brief(answer))
        return answer

    def _sign_in(self, params: dict[str, str]) -> Answer:
        code = params["js_code"]
        for prefix, errcode in self.SIGN_IN_ERRORS.items():
            if code.startswith(prefix):
                return error(errcode, f"sandbox {prefix}")
        digest = hashlib.sha256(f"{params['appid']}:{code}".encode()).hexdigest()
        openid = code[4:] if code.startswith("dev:") else "o" + digest[:27]
        return {"openid": openid, "session_key": digest[28:52], **OK}


def _network_jitter() -> None:
    """RETAIL_DEV_WECHAT_JITTER_MS: each call reaches WeChat after a random delay up to this,
    as over the internet, so calls sent in one order may arrive in another (concurrency tests)."""
    most = int(os.environ.get("RETAIL_DEV_WECHAT_JITTER_MS") or 0)
    if most:
        time.sleep(random.uniform(0, most) / 1000)


def _unknown(path: str) -> Answer:
    return error(40066, f"invalid url {path}")


def _brief(answer: Answer) -> Answer:
    """What the journal keeps of an answer: its errcode and message, never a token."""
    return {"errcode": answer.get("errcode", 0), "errmsg": answer.get("errmsg", "ok")}


def _stable_token(body: dict[str, Any]) -> Answer:
    return {"access_token": "sandbox-token-" + body["appid"], "expires_in": 7200}


def _subscribe_send(body: dict[str, Any]) -> Answer:
    if body["touser"].startswith("o-refused"):
        return error(43101, "user refuse to accept the msg")
    if body["touser"].startswith("o-baddata"):
        return error(47003, "argument invalid! data.thing1.value invalid")
    return OK


def _msg_sec_check(body: dict[str, Any]) -> Answer:
    if not isinstance(body.get("openid"), str) or not body["openid"]:
        return error(40003, "invalid openid")
    if body.get("version") != 2 or body.get("scene") not in (1, 2, 3, 4):
        return error(40097, "invalid args")
    content = str(body.get("content", ""))
    suggest, label = ("risky", 20001) if "违规样例" in content else ("pass", 100)
    if suggest == "pass" and "待审样例" in content:
        suggest, label = "review", 21000
    detail = [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}]
    trace_id = f"sandbox-{time.time_ns():x}"
    return {
        **OK,
        "result": {"suggest": suggest, "label": label},
        "detail": detail,
        "trace_id": trace_id,
    }


def _media_check_async(body: dict[str, Any]) -> Answer:
    if not isinstance(body.get("openid"), str) or not body["openid"]:
        return error(40003, "invalid openid")
    if body.get("media_type") not in (1, 2):
        return error(40004, "invalid media type")
    url = urllib.parse.urlparse(str(body.get("media_url", ""))).path  # not the signature
    trace_id = f"sandbox-media-{time.time_ns():x}-{random.randrange(16**6):06x}"
    suggest, label = ("risky", 20002) if "risky" in url else ("pass", 100)
    if suggest == "pass" and "needs-review" in url:
        suggest, label = "review", 21000
    failed = "undownloadable" in url
    queue_push(
        {
            "ToUserName": "gh_sandbox",
            "FromUserName": body["openid"],
            "CreateTime": int(time.time()),
            "MsgType": "event",
            "Event": "wxa_media_check",
            "appid": push_secrets_appid(),
            "trace_id": trace_id,
            "version": 2,
            "detail": [
                {
                    "strategy": "content_model",
                    "errcode": 0,
                    "suggest": suggest,
                    "label": label,
                    "prob": 90,
                }
            ],
            "errcode": -1008 if failed else 0,
            "errmsg": "download error" if failed else "ok",
            "result": {"suggest": suggest, "label": label},
        }
    )
    return {**OK, "trace_id": trace_id}


def push_secrets_appid() -> str:
    secrets = push_secrets()
    return secrets.appid if secrets else ""


_ROUTES: dict[str, Callable[[dict[str, Any]], Answer]] = {
    "/cgi-bin/stable_token": _stable_token,
    "/cgi-bin/message/subscribe/send": _subscribe_send,
    "/wxa/msg_sec_check": _msg_sec_check,
    "/wxa/media_check_async": _media_check_async,
    **SHIPPING_ROUTES,
}
