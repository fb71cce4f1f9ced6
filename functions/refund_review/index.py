from retail.core import Caller, cloud_function
from retail.orders import OrderView, ReviewRefund, review_refund
from retail.payments import WECHAT_PAY


@cloud_function(ReviewRefund, response=OrderView, auth="operator")
def main_handler(cmd: ReviewRefund, caller: Caller) -> OrderView:
    return review_refund(
        cmd, operator=caller.require_operator("admin", "service"), cashier=WECHAT_PAY
    )
