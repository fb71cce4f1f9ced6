"""Same-city delivery (同城配送) for instant orders, behind one interface.

The shop's order id is the provider's idempotency key, so dispatching twice (a retry after a
crash) books one rider. Rider status comes back on the HTTP-triggered delivery_notify,
signed with RETAIL_DELIVERY_SECRET (HMAC-SHA256 over the raw body).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from retail.common.errors import ConfigurationError
from retail.common.settings import settings


@dataclass(frozen=True)
class Dispatch:
    delivery_id: str
    fee: int


class DeliveryProvider(Protocol):
    def dispatch(self, order: Mapping[str, Any]) -> Dispatch: ...


class FakeDeliveryProvider:
    """Books a pretend rider; the same order always gets the same delivery id."""

    def dispatch(self, order: Mapping[str, Any]) -> Dispatch:
        digest = hashlib.sha256(order["_id"].encode()).hexdigest()[:16].upper()
        return Dispatch(delivery_id=f"D{digest}", fee=order.get("freight", 0))


def sign_notification(body: bytes) -> str:
    return hmac.new(settings().delivery_secret.encode(), body, hashlib.sha256).hexdigest()


def notification_is_genuine(body: bytes, headers: dict[str, str], _query: dict[str, str]) -> bool:
    """Whether `X-Delivery-Signature` is our HMAC of the raw body (constant-time compare)."""
    signature = headers.get("x-delivery-signature") or ""
    # bytes: compare_digest refuses non-ASCII text, and a hostile header may carry some
    return bool(signature) and hmac.compare_digest(
        sign_notification(body).encode(), signature.encode("utf-8", "replace")
    )


@lru_cache(maxsize=1)
def delivery_provider() -> DeliveryProvider:
    if settings().delivery_client == "fake":
        return FakeDeliveryProvider()
    raise ConfigurationError(
        "RETAIL_DELIVERY_CLIENT",
        "names no live same-city delivery provider yet; set RETAIL_DELIVERY_CLIENT=fake in dev",
    )
