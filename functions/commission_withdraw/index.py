from retail.core import Caller, cloud_function
from retail.payments import wechat_pay_transfers
from retail.referral import Withdraw, WithdrawalView, withdraw


@cloud_function(Withdraw, response=WithdrawalView)
def main_handler(cmd: Withdraw, caller: Caller) -> WithdrawalView:
    return withdraw(cmd, openid=caller.require_openid(), transfers=wechat_pay_transfers())
