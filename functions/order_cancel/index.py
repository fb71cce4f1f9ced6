from retail.core import Caller, cloud_function
from retail.orders import CancelOrder, OrderView, cancel_order


@cloud_function(CancelOrder, response=OrderView)
def main_handler(cmd: CancelOrder, caller: Caller) -> OrderView:
    return cancel_order(cmd, buyer=caller.require_openid())
