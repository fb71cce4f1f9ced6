from retail.core import Caller, cloud_function
from retail.payments import ListSplits, SplitPage, list_splits


@cloud_function(ListSplits, response=SplitPage, auth="operator")
def main_handler(cmd: ListSplits, caller: Caller) -> SplitPage:
    return list_splits(cmd, operator=caller.require_operator("admin", "merchant"))
