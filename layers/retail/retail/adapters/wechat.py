"""The WeChat server API (sign-in, subscribe messages, order shipping management, content
security), over a
transport that is real HTTPS or, in dev and tests, the local WeChat (retail_dev.wechat_sandbox).

Only the transport differs between production and dev/tests: the request building, errcode
handling and retry policy below are the same code either way.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from retail.common.errors import (
    Forbidden,
    InvalidArgument,
    RateLimited,
    UpstreamUnavailable,
    error_fields,
)
from retail.common.logs import log
from retail.common.settings import settings

BUSY = -1
INVALID_CODE = 40029
RATE_LIMITED = 45011
BLOCKED = 40226
USER_REFUSED = 43101
BAD_DATA = 47003
API_UNAUTHORIZED = 48001
# An access token WeChat no longer takes (invalid, expired, or not the latest): refresh, retry.
TOKEN_REFUSED = frozenset({40001, 40014, 42001})


def errcode_of(answer: Any) -> int:
    """WeChat's errcode in an answer: 0 only for a documented success (`errcode` 0, or no
    errcode with `errmsg` "ok"); -1, as WeChat's own "system busy", for anything else it
    cannot be read from (not an object, not a number), so that the caller tries again."""
    if not isinstance(answer, dict):
        return BUSY
    errcode = answer.get("errcode")
    if errcode is None:
        return 0 if answer.get("errmsg", "ok") == "ok" else BUSY
    try:
        return int(errcode)
    except (TypeError, ValueError):
        return BUSY


class Transport(Protocol):
    def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]: ...

    def post_json(
        self, path: str, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ContentVerdict:
    """WeChat's judgement of user text (msg_sec_check v2): `suggest` is "pass", "review" or
    "risky", or "unchecked" when WeChat gave none (unreachable, busy, or refused the call:
    `errcode` says which); `label` is WeChat's category (100 normal, 20001 politics, ...)."""

    suggest: str
    label: int = 0
    trace_id: str = ""
    errcode: int = 0


SUGGESTIONS = frozenset({"pass", "review", "risky"})


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    session_key: str
    unionid: str | None = None


class HttpsTransport:
    """GET api.weixin.qq.com with a timeout; network faults become UpstreamUnavailable."""

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds

    def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return self._call(path, params, None)

    def post_json(self, path: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        return self._call(path, params, json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def _call(self, path: str, params: dict[str, str], body: bytes | None) -> dict[str, Any]:
        import urllib.error  # only the live path pays for urllib's import
        import urllib.parse
        import urllib.request

        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        request = urllib.request.Request(
            f"{self.base_url}{path}{query}", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            log("wechat_unreachable", "WARNING", path=path, **error_fields(exc))
            raise UpstreamUnavailable("WeChat did not answer; try again") from None
        if not isinstance(payload, dict):
            raise UpstreamUnavailable("WeChat answered something unexpected")
        return payload


class WeChatApi:
    def __init__(self, transport: Transport, appid: str, secret: str) -> None:
        self.transport = transport
        self.appid = appid
        self.secret = secret
        self._token: tuple[str, float] | None = None
        self._trade_managed: tuple[bool, float] | None = None

    def access_token(self, refresh: bool = False) -> str:
        """A stable access token, cached in this process until five minutes before it expires
        (or until WeChat refuses it: `refresh`)."""
        now = time.monotonic()
        if refresh or self._token is None or now >= self._token[1]:
            payload = self.transport.post_json(
                "/cgi-bin/stable_token",
                {},
                {
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                    "force_refresh": refresh,
                },
            )
            if not payload.get("access_token"):
                raise UpstreamUnavailable(f"no access token (errcode {payload.get('errcode')})")
            self._token = (payload["access_token"], now + int(payload["expires_in"]) - 300)
        return self._token[0]

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST an API that takes the access token; a token WeChat refuses is refreshed once
        and the call made again. Network faults raise UpstreamUnavailable."""
        payload = self.transport.post_json(path, {"access_token": self.access_token()}, body)
        if payload.get("errcode") in TOKEN_REFUSED:
            token = self.access_token(refresh=True)
            payload = self.transport.post_json(path, {"access_token": token}, body)
        return payload

    def is_trade_managed(self) -> bool:
        """Whether WeChat holds this mini-program's payments until their shipping is uploaded
        (/wxa/sec/order/is_trade_managed), asked once an hour per process. An app without the
        order-shipping permission (48001) is not managed; a busy WeChat raises
        UpstreamUnavailable."""
        now = time.monotonic()
        if self._trade_managed is None or now >= self._trade_managed[1]:
            payload = self.call("/wxa/sec/order/is_trade_managed", {"appid": self.appid})
            errcode = errcode_of(payload)
            answered = payload.get("is_trade_managed")
            if errcode == API_UNAUTHORIZED:
                answered = False
            elif errcode or not isinstance(answered, bool):
                raise UpstreamUnavailable(f"is_trade_managed answered {errcode}, {answered!r}")
            # Not managed is asked again sooner: an app that joins is uploaded within minutes.
            self._trade_managed = (answered, now + (3600 if answered else 300))
        return self._trade_managed[0]

    def delivery_list(self) -> dict[str, str]:
        """WeChat's delivery companies for shipping information, code -> name
        (/cgi-bin/express/delivery/open_msg/get_delivery_list)."""
        payload = self.call("/cgi-bin/express/delivery/open_msg/get_delivery_list", {})
        listed = payload.get("delivery_list")
        couriers = {
            c["delivery_id"]: c["delivery_name"]
            for c in (listed if isinstance(listed, list) else [])
            if isinstance(c, dict)
            and isinstance(c.get("delivery_id"), str)
            and isinstance(c.get("delivery_name"), str)
        }
        if errcode_of(payload) or not couriers:
            raise UpstreamUnavailable(f"no delivery list (errcode {errcode_of(payload)})")
        return couriers

    def send_subscribe_message(
        self, openid: str, template_id: str, page: str, data: dict[str, str], state: str
    ) -> int:
        """Send one subscribe message; the errcode (0, 43101 refused, 47003 bad data, ...)."""
        payload = self.call(
            "/cgi-bin/message/subscribe/send",
            {
                "touser": openid,
                "template_id": template_id,
                "page": page,
                "miniprogram_state": state,
                "lang": "zh_CN",
                "data": {key: {"value": value} for key, value in data.items()},
            },
        )
        errcode = errcode_of(payload)
        if errcode:
            log(
                "subscribe_message_refused",
                "WARNING",
                errcode=errcode,
                errmsg=payload.get("errmsg"),
            )
        return errcode

    def check_text(self, openid: str, scene: int, content: str) -> ContentVerdict:
        """Ask WeChat to judge user text (/wxa/msg_sec_check, version 2). WeChat needs the
        writer to have opened the mini-program in the last two hours, so it is asked at writing
        time. Never raises: what WeChat did not judge is "unchecked"."""
        try:
            payload = self.call(
                "/wxa/msg_sec_check",
                {"content": content, "version": 2, "scene": scene, "openid": openid},
            )
        except UpstreamUnavailable:
            return ContentVerdict("unchecked", errcode=BUSY)
        errcode = errcode_of(payload)
        result = payload.get("result")
        suggest = result.get("suggest") if isinstance(result, dict) else None
        if errcode or suggest not in SUGGESTIONS:
            log(
                "content_check_unanswered", "WARNING", errcode=errcode, errmsg=payload.get("errmsg")
            )
            return ContentVerdict("unchecked", errcode=errcode or BUSY)
        assert isinstance(result, dict)
        label = result.get("label")
        return ContentVerdict(
            str(suggest),
            label if isinstance(label, int) and not isinstance(label, bool) else 0,
            str(payload.get("trace_id") or ""),
        )

    def check_image_async(self, openid: str, scene: int, url: str) -> str | None:
        """Ask WeChat to judge an image it downloads from `url` (/wxa/media_check_async,
        version 2); its answer arrives later by message push (wxa_media_check), matched by the
        trace_id answered here. None when WeChat did not take the request."""
        try:
            payload = self.call(
                "/wxa/media_check_async",
                {"media_url": url, "media_type": 2, "version": 2, "scene": scene, "openid": openid},
            )
        except UpstreamUnavailable:
            return None
        trace_id = payload.get("trace_id")
        if errcode_of(payload) or not isinstance(trace_id, str) or not trace_id:
            log("media_check_refused", "WARNING", errcode=errcode_of(payload))
            return None
        return trace_id

    def code2session(self, code: str) -> WeChatSession:
        """Exchange a wx.login code. Raises InvalidArgument, RateLimited, Forbidden or
        UpstreamUnavailable; a busy WeChat (-1) is retried once."""
        params = {
            "appid": self.appid,
            "secret": self.secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        payload = self.transport.get_json("/sns/jscode2session", params)
        if payload.get("errcode") == BUSY:
            payload = self.transport.get_json("/sns/jscode2session", params)
        errcode = payload.get("errcode") or 0
        if errcode == 0 and payload.get("openid") and payload.get("session_key"):
            return WeChatSession(payload["openid"], payload["session_key"], payload.get("unionid"))
        log("wechat_login_refused", "WARNING", errcode=errcode, errmsg=payload.get("errmsg"))
        if errcode == INVALID_CODE:
            raise InvalidArgument("the login code is invalid or already used")
        if errcode == RATE_LIMITED:
            raise RateLimited("WeChat login rate limit reached", retry_after_seconds=60)
        if errcode == BLOCKED:
            raise Forbidden("WeChat blocked this login (risk control)")
        raise UpstreamUnavailable(f"WeChat login failed (errcode {errcode})")


@lru_cache(maxsize=1)
def wechat_api() -> WeChatApi:
    """The WeChat API for this process: the local one in dev (unless told otherwise), else
    HTTPS. The local WeChat is development's, not in the deployed layer (retail_dev)."""
    config = settings()
    if config.wechat_client == "fake":
        from retail_dev.wechat_sandbox import WeChatSandbox

        return WeChatApi(WeChatSandbox(), config.WECHAT_APPID or "wx-dev-appid", "dev-secret")
    transport = HttpsTransport(config.WECHAT_API_BASE, config.WECHAT_TIMEOUT_SECONDS)
    return WeChatApi(transport, config.require("WECHAT_APPID"), config.require("WECHAT_APP_SECRET"))
