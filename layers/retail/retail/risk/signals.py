"""Who is behind an action: openid, device, client IP and, for orders, the delivery address
and phone. Addresses and phones enter risk checks only as keyed fingerprints (HMAC with the
session secret), so the risk data never holds them in clear and cannot be reversed by
someone holding only the database."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from retail.common.settings import settings

KINDS = ("openid", "device", "ip", "address", "phone")
MARKED = ("device", "address", "phone")
DEVICE_ID = r"^[A-Za-z0-9_-]{8,64}$"


@dataclass(frozen=True)
class Signals:
    openid: str
    device: str | None = None
    ip: str | None = None
    address: str | None = None
    phone: str | None = None

    def present(self) -> dict[str, str]:
        """Each known signal by kind."""
        found = {kind: getattr(self, kind) for kind in KINDS}
        return {kind: value for kind, value in found.items() if value}

    def marks(self) -> list[str]:
        """What an order keeps of its signals (indexed, for shared-account checks and caps):
        `device:<id>`, `address:<fingerprint>`, `phone:<fingerprint>`."""
        return [f"{kind}:{value}" for kind in MARKED if (value := getattr(self, kind))]


def fingerprint(value: str) -> str:
    """A stable keyed digest of a normalised value (case and spacing ignored)."""
    normal = re.sub(r"\s+", "", value).lower()
    secret = settings().session_secret.encode()
    return hmac.new(secret, normal.encode(), hashlib.sha256).hexdigest()[:32]


def signals_for(
    openid: str,
    *,
    device: str | None = None,
    ip: str | None = None,
    address: dict[str, Any] | None = None,
) -> Signals:
    """The signals of a call; `address` in wx.chooseAddress fields."""
    place = phone = None
    if address:
        parts = ("provinceName", "cityName", "countyName", "detailInfo")
        place = fingerprint("|".join(str(address.get(p) or "") for p in parts))
        phone = phone_fingerprint(str(address.get("telNumber") or ""))
    return Signals(openid=openid, device=device, ip=ip, address=place, phone=phone)


def phone_fingerprint(number: str) -> str | None:
    """The fingerprint of a phone number's digits (+86 and spacing ignored)."""
    digits = re.sub(r"\D", "", number)
    digits = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    return fingerprint(digits) if digits else None
