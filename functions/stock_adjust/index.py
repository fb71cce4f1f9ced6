from retail.core import Caller, cloud_function
from retail.inventory import AdjustStock, StockLevel, adjust_stock


@cloud_function(AdjustStock, response=StockLevel, auth="operator")
def main_handler(cmd: AdjustStock, caller: Caller) -> StockLevel:
    return adjust_stock(cmd, operator=caller.require_operator("admin", "merchant"))
