"""Users appear in aggregates only as pseudonymous keys."""

from __future__ import annotations

import hashlib


def user_key(openid: str) -> str:
    return hashlib.sha256(openid.encode()).hexdigest()[:16]
