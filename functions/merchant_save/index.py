from retail.catalog import MerchantSaved, SaveMerchant
from retail.core import Caller, cloud_function
from retail.payments import save_merchant_account


@cloud_function(SaveMerchant, response=MerchantSaved, auth="operator")
def main_handler(cmd: SaveMerchant, caller: Caller) -> MerchantSaved:
    return save_merchant_account(cmd, operator=caller.require_operator("admin"))
