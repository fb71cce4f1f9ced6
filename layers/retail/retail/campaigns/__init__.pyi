from .groups import expire_groups
from .subscriptions import AcceptSubscriptions, Subscriptions, accept_subscriptions
from .winback import WinBackSummary, win_back_lapsed_users

__all__ = [
    "AcceptSubscriptions",
    "Subscriptions",
    "WinBackSummary",
    "accept_subscriptions",
    "expire_groups",
    "win_back_lapsed_users",
]
