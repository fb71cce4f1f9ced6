from .groups import GroupRef, GroupView, count_payment, join_group, leave_group, show_group

__all__ = ["GroupRef", "GroupView", "count_payment", "join_group", "leave_group", "show_group"]
