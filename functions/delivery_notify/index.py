from retail.core import Caller, cloud_function
from retail.orders import OrderView, RiderUpdate, record_rider_update, rider_update_is_genuine


@cloud_function(RiderUpdate, response=OrderView, auth="webhook", verify=rider_update_is_genuine)
def main_handler(cmd: RiderUpdate, caller: Caller) -> OrderView:
    return record_rider_update(cmd)
