from retail.core import BatchRequest, BatchSummary, Budget, Caller, cloud_function
from retail.orders import expire_unpaid_orders


@cloud_function(BatchRequest, response=BatchSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> BatchSummary:
    return expire_unpaid_orders(cmd, budget=Budget.from_limit(caller.time_limit_ms))
