from retail.campaigns import expire_groups
from retail.core import BatchRequest, BatchSummary, Budget, Caller, cloud_function


@cloud_function(BatchRequest, response=BatchSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> BatchSummary:
    return expire_groups(cmd, budget=Budget.from_limit(caller.time_limit_ms))
