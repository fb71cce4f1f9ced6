from retail.core import Caller, cloud_function
from retail.orders import OrderRef, OrderView, get_order


@cloud_function(OrderRef, response=OrderView)
def main_handler(cmd: OrderRef, caller: Caller) -> OrderView:
    return get_order(cmd, buyer=caller.require_openid())
