"""Group buying (拼团): open or join a group at the group price; it succeeds when enough
members have paid, and fails at its deadline otherwise."""

from .groups import GroupRef, GroupView, count_payment, join_group, leave_group, show_group

__all__ = ["GroupRef", "GroupView", "count_payment", "join_group", "leave_group", "show_group"]
