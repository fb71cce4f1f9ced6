from .policy import (
    AcceptPolicy,
    ConsentState,
    WithdrawConsent,
    accept_policy,
    consent_state,
    require_consent,
    withdraw_consent,
)

__all__ = [
    "AcceptPolicy",
    "ConsentState",
    "WithdrawConsent",
    "accept_policy",
    "consent_state",
    "require_consent",
    "withdraw_consent",
]
