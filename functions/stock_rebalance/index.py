from retail.core import BatchRequest, BatchSummary, Budget, Caller, cloud_function
from retail.inventory import rebalance_split_levels


@cloud_function(BatchRequest, response=BatchSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> BatchSummary:
    return rebalance_split_levels(cmd, budget=Budget.from_limit(caller.time_limit_ms))
