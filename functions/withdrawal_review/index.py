from retail.core import Caller, cloud_function
from retail.payments import wechat_pay_transfers
from retail.referral import ReviewWithdrawal, WithdrawalView, review_withdrawal


@cloud_function(ReviewWithdrawal, response=WithdrawalView, auth="operator")
def main_handler(cmd: ReviewWithdrawal, caller: Caller) -> WithdrawalView:
    operator = caller.require_operator()
    return review_withdrawal(cmd, operator=operator, transfers=wechat_pay_transfers())
