from retail.core import BatchRequest, BatchSummary, Budget, Caller, cloud_function
from retail.orders import auto_confirm_orders


@cloud_function(BatchRequest, response=BatchSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> BatchSummary:
    return auto_confirm_orders(cmd, budget=Budget.from_limit(caller.time_limit_ms))
