"""Signed, expiring session tokens for callers that come over plain HTTP (not CloudBase).

PyJWT is imported on use: CloudBase calls never need it, and importing it costs ~9 ms of
every cold start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .clock import utcnow
from .errors import Unauthenticated
from .settings import settings

ALGORITHM = "HS256"
ISSUER = "retail"
OPERATOR_TTL_SECONDS = 8 * 3600  # a working day


def issue_session_token(openid: str) -> tuple[str, int]:
    """A buyer's token for `openid` and its lifetime in seconds."""
    return _issue({"sub": openid, "typ": "user"}, settings().RETAIL_SESSION_TTL_SECONDS)


def issue_operator_token(operator_id: str, role: str, version: int) -> tuple[str, int]:
    """An operator's token; it carries the role and the account's token version (a change to
    the account bumps it, voiding older tokens) and cannot pass for a buyer's."""
    claims = {"sub": operator_id, "typ": "operator", "role": role, "ver": version}
    return _issue(claims, OPERATOR_TTL_SECONDS)


def _issue(claims: dict[str, Any], ttl: int) -> tuple[str, int]:
    import jwt

    now = utcnow()
    payload = {**claims, "iss": ISSUER, "iat": now, "exp": now + timedelta(seconds=ttl)}
    return jwt.encode(payload, settings().session_secret, algorithm=ALGORITHM), ttl


def verify_session_token(token: str) -> str:
    """The openid a valid buyer token was issued to. Raises Unauthenticated."""
    claims = verify_token(token)
    if claims.get("typ", "user") != "user":
        raise Unauthenticated("not a buyer's session token")
    return str(claims["sub"])


def verify_token(token: str) -> dict[str, Any]:
    """The claims of a token we issued (buyer or operator). Raises Unauthenticated."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings().session_secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("session expired; log in again") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("invalid session token") from None
    return claims
