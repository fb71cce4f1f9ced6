from retail.core import Caller, cloud_function
from retail.referral import WithdrawalQueue, Withdrawals, withdrawal_queue


@cloud_function(WithdrawalQueue, response=Withdrawals, auth="operator")
def main_handler(cmd: WithdrawalQueue, caller: Caller) -> Withdrawals:
    return withdrawal_queue(cmd, operator=caller.require_operator())
