from retail.core import Caller, cloud_function
from retail.orders import OrderView, RequestRefund, request_refund
from retail.payments import WECHAT_PAY


@cloud_function(RequestRefund, response=OrderView)
def main_handler(cmd: RequestRefund, caller: Caller) -> OrderView:
    return request_refund(cmd, buyer=caller.require_openid(), cashier=WECHAT_PAY)
