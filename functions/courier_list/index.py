from retail.core import Caller, cloud_function
from retail.orders import CourierList, ListCouriers, list_couriers


@cloud_function(ListCouriers, response=CourierList, auth="operator")
def main_handler(cmd: ListCouriers, caller: Caller) -> CourierList:
    caller.require_operator("admin", "merchant")
    return list_couriers(cmd)
