from retail.catalog import SaveMerchant, save_merchant
from retail.core import Caller, cloud_function


@cloud_function(SaveMerchant, response=SaveMerchant, auth="operator")
def main_handler(cmd: SaveMerchant, caller: Caller) -> SaveMerchant:
    return save_merchant(cmd, operator=caller.require_operator("admin"))
