from retail.core import Caller, cloud_function
from retail.orders import CancelOrder, OrderView, cancel_order
from retail.payments import close_payment


@cloud_function(CancelOrder, response=OrderView)
def main_handler(cmd: CancelOrder, caller: Caller) -> OrderView:
    return cancel_order(cmd, buyer=caller.require_openid(), close_payment=close_payment)
