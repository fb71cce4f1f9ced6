from retail.core import Caller, cloud_function
from retail.orders import OrderView, PlaceOrder, place_order


@cloud_function(PlaceOrder, response=OrderView)
def main_handler(cmd: PlaceOrder, caller: Caller) -> OrderView:
    return place_order(cmd, buyer=caller.require_openid(), client_ip=caller.client_ip)
