from retail.core import BatchRequest, BatchSummary, Budget, Caller, cloud_function
from retail.orders import sync_shipping


@cloud_function(BatchRequest, response=BatchSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> BatchSummary:
    return sync_shipping(cmd, budget=Budget.from_limit(caller.time_limit_ms))
