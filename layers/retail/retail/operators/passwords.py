"""Operator password hashes: argon2id with OWASP's password-storage parameters.

OWASP's Password Storage Cheat Sheet names argon2id first, at m=19 MiB, t=2, p=1 (about
30 ms here). Hashes written by earlier versions (scrypt at N=2^14, below OWASP's 2^17) are
still verified, and replaced at the next sign-in. argon2-cffi is imported on use: only
operator_login needs it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

ARGON2_TIME_COST, ARGON2_MEMORY_KIB, ARGON2_PARALLELISM = 2, 19_456, 1


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher(
        time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM
    )


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def password_matches(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _scrypt_matches(password, stored)
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """An old scheme or weaker parameters than today's: rehash after a good sign-in."""
    return stored.startswith("scrypt$") or bool(_hasher().check_needs_rehash(stored))


def _scrypt_matches(password: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))
