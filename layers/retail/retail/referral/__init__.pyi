from .commissions import (
    CommissionPage,
    ListCommissions,
    list_commissions,
    record_first_order,
    reduce_commission,
    release_commission,
    reverse_commission,
)
from .shares import (
    CreateShare,
    ShareLink,
    ShareReward,
    ShareVisit,
    claim_share_reward,
    create_share,
)

__all__ = [
    "CommissionPage",
    "CreateShare",
    "ListCommissions",
    "ShareLink",
    "ShareReward",
    "ShareVisit",
    "claim_share_reward",
    "create_share",
    "list_commissions",
    "record_first_order",
    "reduce_commission",
    "release_commission",
    "reverse_commission",
]
