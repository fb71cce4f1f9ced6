from retail.core import Caller, cloud_function
from retail.orders import ListOrders, OrderPage, list_orders


@cloud_function(ListOrders, response=OrderPage)
def main_handler(cmd: ListOrders, caller: Caller) -> OrderPage:
    return list_orders(cmd, buyer=caller.require_openid())
