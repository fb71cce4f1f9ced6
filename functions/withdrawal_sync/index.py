from retail.core import Caller, cloud_function
from retail.payments import wechat_pay_transfers
from retail.referral import SyncWithdrawals, WithdrawalsSynced, sync_withdrawals


@cloud_function(SyncWithdrawals, response=WithdrawalsSynced, auth="timer")
def main_handler(cmd: SyncWithdrawals, caller: Caller) -> WithdrawalsSynced:
    return sync_withdrawals(cmd, transfers=wechat_pay_transfers())
