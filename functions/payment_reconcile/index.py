from retail.core import BatchRequest, BatchSummary, Budget, Caller, cloud_function
from retail.payments import reconcile_payments


@cloud_function(BatchRequest, response=BatchSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> BatchSummary:
    return reconcile_payments(cmd, budget=Budget.from_limit(caller.time_limit_ms))
