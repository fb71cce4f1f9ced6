from retail.core import Caller, cloud_function
from retail.inventory import SplitStock, StockSplit, split_stock


@cloud_function(SplitStock, response=StockSplit, auth="operator")
def main_handler(cmd: SplitStock, caller: Caller) -> StockSplit:
    return split_stock(cmd, operator=caller.require_operator("admin", "merchant"))
