from retail.core import Caller, cloud_function
from retail.orders import OrderView, ShipOrder, ship_order


@cloud_function(ShipOrder, response=OrderView, auth="operator")
def main_handler(cmd: ShipOrder, caller: Caller) -> OrderView:
    return ship_order(cmd, operator=caller.require_operator("admin", "merchant"))
