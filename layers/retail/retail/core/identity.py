"""Who is calling: only ever from the platform or a verified token, never from the body.

- CloudBase calls: WeChat injects WX_OPENID / WX_APPID / WX_UNIONID into the invocation's
  environment (read by `platform.platform_of`); WeChat has already authenticated them.
- HTTP calls: `Authorization: Bearer <session token>` issued by user_login.
- Dev only (RETAIL_ENV=dev): the dev gateway's X-Dev-Openid / X-Dev-Operator headers.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from retail.common.clientip import client_ip, unbelieved_forwards
from retail.common.errors import ConfigurationError, InvalidArgument, Unauthenticated
from retail.common.logs import log
from retail.common.operator import Operator, Role, is_role
from retail.common.settings import settings
from retail.common.tokens import verify_token

from .events import Invocation, Trigger
from .platform import Platform


@dataclass(frozen=True)
class Caller:
    openid: str | None = None
    appid: str | None = None
    unionid: str | None = None
    source: str | None = None
    client_ip: str | None = None
    operator: Operator | None = None
    time_limit_ms: int | None = None

    @property
    def rate_key(self) -> str | None:
        """Whose budget a call spends: the buyer's, or the operator's."""
        if self.openid:
            return self.openid
        return f"op:{self.operator.operator_id}" if self.operator else None

    def require_openid(self) -> str:
        if not self.openid:
            raise Unauthenticated("this function needs a logged-in WeChat user")
        return self.openid

    def require_operator(self, *roles: str) -> Operator:
        if self.operator is None:
            raise Unauthenticated("this function needs an operator")
        if roles:
            self.operator.require(*(Role(role) for role in roles))
        return self.operator


def caller_key(openid: str | None, operator: Operator | None) -> str | None:
    """A pseudonym for log lines: a keyed hash, stable per caller, that names nobody."""
    subject = f"user:{openid}" if openid else f"op:{operator.operator_id}" if operator else None
    if subject is None:
        return None
    try:
        secret = settings().session_secret.encode()
    except ConfigurationError:
        return "unkeyed"
    return hmac.new(secret, subject.encode(), hashlib.sha256).hexdigest()[:16]


def resolve_caller(invocation: Invocation, platform: Platform) -> Caller:
    """The caller's verified identity for this invocation (possibly anonymous)."""
    if invocation.trigger is Trigger.TIMER:
        return Caller(source="timer", time_limit_ms=platform.time_limit_ms)
    if invocation.trigger is Trigger.CLOUDBASE:
        return Caller(
            openid=platform.get("WX_OPENID"),
            appid=platform.get("WX_APPID"),
            unionid=platform.get("WX_UNIONID"),
            source=",".join(platform.source) or "cloudbase",
            client_ip=platform.client_ip,
            operator=_dev_operator(platform.dev_operator),
        )
    return _http_caller(invocation, platform)


def _http_caller(invocation: Invocation, platform: Platform) -> Caller:
    """A bearer token is a buyer's session or an operator's sign-in, told apart by its type."""
    openid = None
    operator = _dev_operator(invocation.header("x-dev-operator"))
    authorization = invocation.header("authorization") or ""
    if authorization.lower().startswith("bearer "):
        claims = verify_token(authorization[7:].strip())
        if claims.get("typ") == "operator":
            version = claims.get("ver")
            if not is_role(str(claims["role"])):  # signed by us: an account's role, retired
                raise Unauthenticated("this sign-in's role no longer exists; sign in again")
            operator = Operator(
                str(claims["sub"]), str(claims["role"]), version if isinstance(version, int) else -1
            )
        else:
            openid = str(claims["sub"])
    elif settings().is_dev and invocation.header("x-dev-openid"):
        openid = invocation.header("x-dev-openid")
    return Caller(
        openid=openid,
        source="http",
        client_ip=(
            http_client_ip(invocation.headers, invocation.request_context)
            if platform.http_address
            else None
        ),
        operator=operator,
    )


def http_client_ip(headers: dict[str, str], request_context: dict[str, Any]) -> str | None:
    """API gateway events carry the peer in requestContext.sourceIp; function URL events
    (which have no requestContext) in the x-scf-remote-addr header the platform sets.
    `headers` are lower-cased. Forwarded addresses nobody vouches for are logged as spoofing."""
    given = request_context.get("sourceIp") if request_context else headers.get("x-scf-remote-addr")
    peer = str(given) if given else None
    hops = settings().RETAIL_TRUSTED_PROXY_HOPS
    forwarded = headers.get("x-forwarded-for")
    if lies := unbelieved_forwards(peer, forwarded, hops):
        log("client_ip_spoofed", "WARNING", forwarded_ignored=lies, trusted_hops=hops)
    return client_ip(peer, forwarded, hops)


def refused_caller_ip(event: Any, trigger: Trigger, platform: Platform) -> str | None:
    """The client IP of a call refused before its caller was known (a body that does not
    parse, a forged token): the platform's, read from the raw event where HTTP carries it."""
    if trigger is Trigger.CLOUDBASE:
        return platform.client_ip
    if trigger is not Trigger.HTTP or not isinstance(event, dict) or not platform.http_address:
        return None
    raw_headers, context = event.get("headers"), event.get("requestContext")
    headers = (
        {str(k).lower(): str(v) for k, v in raw_headers.items()}
        if isinstance(raw_headers, dict)
        else {}
    )
    return http_client_ip(headers, context if isinstance(context, dict) else {})


def _dev_operator(value: str | None) -> Operator | None:
    """`<operator_id>:<role>` from the dev gateway; ignored unless RETAIL_ENV=dev."""
    if not value or not settings().is_dev:
        return None
    operator_id, _, role = value.partition(":")
    if not operator_id or not is_role(role):
        raise InvalidArgument("X-Dev-Operator must be '<operator_id>:<admin|service|merchant:ID>'")
    return Operator(operator_id, role)
