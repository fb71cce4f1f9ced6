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


def issue_session_token(openid: str) -> tuple[str, int]:
    """A token for `openid` and its lifetime in seconds."""
    import jwt

    config = settings()
    now = utcnow()
    ttl = config.RETAIL_SESSION_TTL_SECONDS
    claims = {"sub": openid, "iss": ISSUER, "iat": now, "exp": now + timedelta(seconds=ttl)}
    return jwt.encode(claims, config.session_secret, algorithm=ALGORITHM), ttl


def verify_session_token(token: str) -> str:
    """The openid a valid token was issued to. Raises Unauthenticated."""
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
    return str(claims["sub"])
