from .balances import settle_due_moves
from .commissions import (
    CommissionPage,
    ListCommissions,
    list_commissions,
    record_first_order,
    reduce_commission,
    release_commission,
    reverse_commission,
)
from .mine import MyCommissions, MyCommissionsView, my_commissions
from .reports import CommissionReport, CommissionReportFile, commission_report
from .shares import (
    CreateShare,
    ShareLink,
    ShareReward,
    ShareVisit,
    claim_share_reward,
    create_share,
)
from .withdrawal_review import (
    ReviewWithdrawal,
    WithdrawalQueue,
    Withdrawals,
    review_withdrawal,
    withdrawal_queue,
)
from .withdrawal_terms import WithdrawalView
from .withdrawals import (
    SyncWithdrawals,
    Withdraw,
    WithdrawalsSynced,
    sync_withdrawals,
    withdraw,
    withdrawals_in_progress,
)

__all__ = [
    "CommissionPage",
    "CommissionReport",
    "CommissionReportFile",
    "CreateShare",
    "ListCommissions",
    "MyCommissions",
    "MyCommissionsView",
    "ReviewWithdrawal",
    "ShareLink",
    "ShareReward",
    "ShareVisit",
    "SyncWithdrawals",
    "Withdraw",
    "WithdrawalQueue",
    "WithdrawalView",
    "Withdrawals",
    "WithdrawalsSynced",
    "claim_share_reward",
    "commission_report",
    "create_share",
    "list_commissions",
    "my_commissions",
    "record_first_order",
    "reduce_commission",
    "release_commission",
    "reverse_commission",
    "review_withdrawal",
    "settle_due_moves",
    "sync_withdrawals",
    "withdraw",
    "withdrawal_queue",
    "withdrawals_in_progress",
]
