from retail.core import Caller, cloud_function
from retail.orders import OrderView
from retail.payments import RequestRefund, request_refund


@cloud_function(RequestRefund, response=OrderView)
def main_handler(cmd: RequestRefund, caller: Caller) -> OrderView:
    return request_refund(cmd, buyer=caller.require_openid())
