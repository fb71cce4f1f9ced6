"""The WeChat server API (code2session), over a transport that is real HTTPS or a local fake.

Only the transport differs between production and dev/tests: the request building, errcode
handling and retry policy below are the same code either way.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Protocol

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


class Transport(Protocol):
    def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]: ...

    def post_json(
        self, path: str, params: dict[str, str], body: dict[str, Any]
    ) -> dict[str, Any]: ...


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


class FakeWeChatServer:
    """Answers like WeChat, offline. `code` → a stable openid; special codes rehearse errors:
    "invalid…" 40029, "ratelimited…" 45011, "blocked…" 40226, "busy…" -1. Subscribe messages
    to openids starting "o-refused" fail with 43101, to "o-baddata" with 47003."""

    ERRORS: ClassVar[dict[str, int]] = {
        "invalid": INVALID_CODE,
        "ratelimited": RATE_LIMITED,
        "blocked": BLOCKED,
        "busy": BUSY,
    }

    def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        if path != "/sns/jscode2session":
            return {"errcode": 40066, "errmsg": "invalid url"}
        code = params["js_code"]
        for prefix, errcode in self.ERRORS.items():
            if code.startswith(prefix):
                return {"errcode": errcode, "errmsg": f"fake {prefix}"}
        digest = hashlib.sha256(f"{params['appid']}:{code}".encode()).hexdigest()
        openid = code[4:] if code.startswith("dev:") else "o" + digest[:27]
        return {"openid": openid, "session_key": digest[28:52], "errcode": 0, "errmsg": "ok"}

    def post_json(self, path: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        if path == "/cgi-bin/stable_token":
            return {"access_token": "fake-token-" + body["appid"], "expires_in": 7200}
        if path != "/cgi-bin/message/subscribe/send" or not params.get("access_token"):
            return {"errcode": 40066, "errmsg": "invalid url"}
        if body["touser"].startswith("o-refused"):
            return {"errcode": USER_REFUSED, "errmsg": "user refuse to accept the msg"}
        if body["touser"].startswith("o-baddata"):
            return {"errcode": BAD_DATA, "errmsg": "argument invalid! data.thing1.value invalid"}
        return {"errcode": 0, "errmsg": "ok"}


class WeChatApi:
    def __init__(self, transport: Transport, appid: str, secret: str) -> None:
        self.transport = transport
        self.appid = appid
        self.secret = secret
        self._token: tuple[str, float] | None = None

    def access_token(self) -> str:
        """A stable access token, cached in this process until five minutes before it expires."""
        now = time.monotonic()
        if self._token is None or now >= self._token[1]:
            payload = self.transport.post_json(
                "/cgi-bin/stable_token",
                {},
                {
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                    "force_refresh": False,
                },
            )
            if not payload.get("access_token"):
                raise UpstreamUnavailable(f"no access token (errcode {payload.get('errcode')})")
            self._token = (payload["access_token"], now + int(payload["expires_in"]) - 300)
        return self._token[0]

    def send_subscribe_message(
        self, openid: str, template_id: str, page: str, data: dict[str, str], state: str
    ) -> int:
        """Send one subscribe message; the errcode (0, 43101 refused, 47003 bad data, ...)."""
        payload = self.transport.post_json(
            "/cgi-bin/message/subscribe/send",
            {"access_token": self.access_token()},
            {
                "touser": openid,
                "template_id": template_id,
                "page": page,
                "miniprogram_state": state,
                "lang": "zh_CN",
                "data": {key: {"value": value} for key, value in data.items()},
            },
        )
        errcode = int(payload.get("errcode") or 0)
        if errcode:
            log(
                "subscribe_message_refused",
                "WARNING",
                errcode=errcode,
                errmsg=payload.get("errmsg"),
            )
        return errcode

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
    """The WeChat API for this process: the fake in dev (unless told otherwise), else HTTPS."""
    config = settings()
    if config.wechat_client == "fake":
        return WeChatApi(FakeWeChatServer(), config.WECHAT_APPID or "wx-dev-appid", "dev-secret")
    transport = HttpsTransport(config.WECHAT_API_BASE, config.WECHAT_TIMEOUT_SECONDS)
    return WeChatApi(transport, config.require("WECHAT_APPID"), config.require("WECHAT_APP_SECRET"))
