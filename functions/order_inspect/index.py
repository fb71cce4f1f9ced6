from retail.core import Caller, cloud_function
from retail.orders import OrderDetail, ShowOrder, show_order


@cloud_function(ShowOrder, response=OrderDetail, auth="operator")
def main_handler(cmd: ShowOrder, caller: Caller) -> OrderDetail:
    return show_order(cmd, operator=caller.require_operator("admin", "service", "merchant"))
