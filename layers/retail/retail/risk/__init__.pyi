from .caps import limits_of, purchase_limits, release_caps, take_caps
from .erasures import erased_before, refunds_before_erasure, remember_erased_buyer
from .events import record_risk_event
from .guards import (
    guard_claim,
    guard_flash_sale,
    guard_order,
    guard_withdrawal,
    order_holds,
    reward_allowed,
)
from .limits import risk_limit
from .signals import DEVICE_ID, KINDS, Signals, fingerprint, phone_fingerprint, signals_for

__all__ = [
    "DEVICE_ID",
    "KINDS",
    "Signals",
    "erased_before",
    "fingerprint",
    "guard_claim",
    "guard_flash_sale",
    "guard_order",
    "guard_withdrawal",
    "limits_of",
    "order_holds",
    "phone_fingerprint",
    "purchase_limits",
    "record_risk_event",
    "refunds_before_erasure",
    "release_caps",
    "remember_erased_buyer",
    "reward_allowed",
    "risk_limit",
    "signals_for",
    "take_caps",
]
