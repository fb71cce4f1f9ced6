from .groups import expire_groups
from .winback import WinBackSummary, win_back_lapsed_users

__all__ = [
    "WinBackSummary",
    "expire_groups",
    "win_back_lapsed_users",
]
