"""Who is calling: only ever from the platform or a verified token, never from the body.

- CloudBase calls: WeChat injects WX_OPENID / WX_APPID / WX_UNIONID into the invocation's
  environment (context `environment` JSON, older `environ` string, then the process
  environment); WeChat has already authenticated them.
- HTTP calls: `Authorization: Bearer <session token>` issued by user_login.
- Dev only (RETAIL_ENV=dev): the dev gateway's X-Dev-Openid / X-Dev-Operator headers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from retail.common.errors import Forbidden, InvalidArgument, Unauthenticated
from retail.common.settings import settings
from retail.common.tokens import verify_token

from .events import Invocation, Trigger

HIDDEN_CONTEXT_KEYS = {"WX_API_TOKEN", "WX_TRIGGER_API_TOKEN_V0"}
OPERATOR_ROLES = ("admin", "service", "merchant")


@dataclass(frozen=True)
class Operator:
    operator_id: str
    role: str  # "admin", "service" or "merchant:<merchant_id>"

    @property
    def merchant_id(self) -> str | None:
        return self.role.split(":", 1)[1] if self.role.startswith("merchant:") else None


@dataclass(frozen=True)
class Caller:
    openid: str | None = None
    appid: str | None = None
    unionid: str | None = None
    source: str | None = None
    client_ip: str | None = None
    operator: Operator | None = None
    time_limit_ms: int | None = None

    def require_openid(self) -> str:
        if not self.openid:
            raise Unauthenticated("this function needs a logged-in WeChat user")
        return self.openid

    def require_operator(self, *roles: str) -> Operator:
        if self.operator is None:
            raise Unauthenticated("this function needs an operator")
        base_role = self.operator.role.split(":", 1)[0]
        if roles and base_role not in roles:
            raise Forbidden(f"role {self.operator.role!r} may not do this")
        return self.operator


def wx_context(context: Any) -> dict[str, str]:
    """The invocation's WX_* values, context first, then the process environment."""
    env: dict[str, Any] = {}
    context = context if isinstance(context, dict) else {}
    raw = context.get("environment")
    if raw:
        env = json.loads(raw) if isinstance(raw, str) else dict(raw)
    elif context.get("environ"):
        for part in str(context["environ"]).split(";"):
            if "=" in part:
                key, value = part.split("=", 1)
                env[key] = value
    keys = env.get("WX_CONTEXT_KEYS") or os.environ.get("WX_CONTEXT_KEYS", "")
    names = keys.split(",") if isinstance(keys, str) else list(keys)
    names += ["WX_OPENID", "WX_APPID", "WX_UNIONID", "WX_SOURCE", "WX_CLIENTIP"]
    found: dict[str, str] = {}
    for name in filter(None, names):
        found_value = env.get(name, os.environ.get(name))
        if found_value and name not in HIDDEN_CONTEXT_KEYS:
            found[name] = str(found_value)
    if context.get("RETAIL_DEV_OPERATOR"):
        found["RETAIL_DEV_OPERATOR"] = str(context["RETAIL_DEV_OPERATOR"])
    return found


def resolve_caller(invocation: Invocation, context: Any) -> Caller:
    """The caller's verified identity for this invocation (possibly anonymous)."""
    if invocation.trigger is Trigger.TIMER:
        limit = context.get("time_limit_in_ms") if isinstance(context, dict) else None
        return Caller(source="timer", time_limit_ms=limit if isinstance(limit, int) else None)
    if invocation.trigger is Trigger.CLOUDBASE:
        wx = wx_context(context)
        return Caller(
            openid=wx.get("WX_OPENID"),
            appid=wx.get("WX_APPID"),
            unionid=wx.get("WX_UNIONID"),
            source=wx.get("WX_SOURCE", "cloudbase"),
            client_ip=wx.get("WX_CLIENTIP"),
            operator=_dev_operator(wx.get("RETAIL_DEV_OPERATOR")),
        )
    return _http_caller(invocation)


def _http_caller(invocation: Invocation) -> Caller:
    """A bearer token is a buyer's session or an operator's sign-in, told apart by its type."""
    openid = None
    operator = _dev_operator(invocation.header("x-dev-operator"))
    authorization = invocation.header("authorization") or ""
    if authorization.lower().startswith("bearer "):
        claims = verify_token(authorization[7:].strip())
        if claims.get("typ") == "operator":
            operator = Operator(str(claims["sub"]), str(claims["role"]))
        else:
            openid = str(claims["sub"])
    elif settings().is_dev and invocation.header("x-dev-openid"):
        openid = invocation.header("x-dev-openid")
    return Caller(
        openid=openid,
        source="http",
        client_ip=invocation.header("x-forwarded-for"),
        operator=operator,
    )


def _dev_operator(value: str | None) -> Operator | None:
    """`<operator_id>:<role>` from the dev gateway; ignored unless RETAIL_ENV=dev."""
    if not value or not settings().is_dev:
        return None
    operator_id, _, role = value.partition(":")
    if not operator_id or role.split(":", 1)[0] not in OPERATOR_ROLES:
        raise InvalidArgument("X-Dev-Operator must be '<operator_id>:<admin|service|merchant:ID>'")
    if role.startswith("merchant") and not role.startswith("merchant:"):
        raise InvalidArgument("a merchant operator role is 'merchant:<merchant_id>'")
    return Operator(operator_id, role)
