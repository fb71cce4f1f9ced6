from .benefits import MemberPerks, extend_membership, member_perks
from .points import award_points, give_back_points, level_for, spend_points, take_back_points

__all__ = [
    "MemberPerks",
    "award_points",
    "extend_membership",
    "give_back_points",
    "level_for",
    "member_perks",
    "spend_points",
    "take_back_points",
]
