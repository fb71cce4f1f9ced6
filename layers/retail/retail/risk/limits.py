"""Risk thresholds: defaults that suit a neighbourhood shop, each overridable by name in
RETAIL_RISK_LIMITS (a JSON object)."""

from __future__ import annotations

from functools import lru_cache

from retail.common.settings import positive_int_map

DEFAULTS = {
    "orders_per_10_minutes": 10,  # one buyer placing more is blocked
    "accounts_per_address": 3,  # more buyers than this shipping to one address in 24 h: hold
    "accounts_per_phone": 3,  # ... giving one phone number
    "accounts_per_device": 3,  # ... ordering from one device
    "refunds_per_30_days": 3,  # a buyer asking for more refunds is reviewed by an operator
    "new_account_minutes": 30,  # guarded coupons are not for accounts younger than this
    "device_claims_per_day": 3,  # accounts one device may claim a guarded coupon for
    "device_withdrawals_per_day": 2,  # promoter accounts one device may withdraw for
}


@lru_cache(maxsize=1)
def _configured() -> dict[str, int]:
    return {**DEFAULTS, **positive_int_map("RETAIL_RISK_LIMITS")}


def risk_limit(name: str) -> int:
    return _configured()[name]


def forget_risk_limits() -> None:
    """Tests change RETAIL_RISK_LIMITS between cases."""
    _configured.cache_clear()
