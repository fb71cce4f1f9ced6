"""What a member gets at checkout: free shipping from level 3, 5% off from level 4, and both
while a paid membership (会员) is active."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

FREE_SHIPPING_LEVEL = 3
DISCOUNT_LEVEL = 4
MEMBER_DISCOUNT_BP = 500


@dataclass(frozen=True)
class MemberPerks:
    free_shipping: bool
    discount_bp: int


def member_perks(user: dict[str, Any] | None, now: datetime) -> MemberPerks:
    if not user:
        return MemberPerks(False, 0)
    paid_member = bool(user.get("membership_expires_at") and user["membership_expires_at"] > now)
    level = user.get("level", 1)
    return MemberPerks(
        free_shipping=paid_member or level >= FREE_SHIPPING_LEVEL,
        discount_bp=MEMBER_DISCOUNT_BP if paid_member or level >= DISCOUNT_LEVEL else 0,
    )
