from retail.core import Caller, cloud_function
from retail.orders import OrderView, VerifyPickup, verify_pickup


@cloud_function(VerifyPickup, response=OrderView, auth="operator")
def main_handler(cmd: VerifyPickup, caller: Caller) -> OrderView:
    return verify_pickup(cmd, operator=caller.require_operator("admin", "service", "merchant"))
