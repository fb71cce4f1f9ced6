from retail.core import Caller, cloud_function
from retail.operators import ListMerchants, Merchants, list_merchants


@cloud_function(ListMerchants, response=Merchants, auth="operator")
def main_handler(cmd: ListMerchants, caller: Caller) -> Merchants:
    return list_merchants(cmd, operator=caller.require_operator("admin", "service", "merchant"))
