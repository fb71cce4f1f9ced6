"""A WeChat user's pseudonym: a keyed digest of the openid (HMAC with RETAIL_PSEUDONYM_SECRET,
or the session secret when that is unset; set once, never rotated).

Ids and records that must outlive the user's erasure (coupon slots, purchase caps, risk
events, commission entries, ledger keys, what an erased user had done) are built from it, never
from the openid: after erasure nothing stored names the openid, yet the same WeChat user
signing in again is recognised as the same person for anti-abuse rules, by whoever holds the
secret and nobody else (as the risk fingerprints of addresses and phones are).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from .settings import settings

PSEUDONYM = re.compile(r"^u[0-9a-f]{31}$")


def pseudonym(openid: str) -> str:
    secret = settings().pseudonym_secret.encode()
    digest = hmac.new(secret, f"openid:{openid}".encode(), hashlib.sha256).hexdigest()
    return "u" + digest[:31]
