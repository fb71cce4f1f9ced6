from retail.core import Caller, cloud_function
from retail.orders import OrderRef, OrderView, confirm_receipt


@cloud_function(OrderRef, response=OrderView)
def main_handler(cmd: OrderRef, caller: Caller) -> OrderView:
    return confirm_receipt(cmd, buyer=caller.require_openid())
