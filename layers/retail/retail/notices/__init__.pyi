from .grants import (
    AcceptSubscriptions,
    Subscriptions,
    accept_subscriptions,
    drop_grants,
    give_back_grant,
    take_grant,
)
from .notices import Notice, NoticeOutcome, Value, fit, send_notice, templates

__all__ = [
    "AcceptSubscriptions",
    "Notice",
    "NoticeOutcome",
    "Subscriptions",
    "Value",
    "accept_subscriptions",
    "drop_grants",
    "fit",
    "give_back_grant",
    "send_notice",
    "take_grant",
    "templates",
]
