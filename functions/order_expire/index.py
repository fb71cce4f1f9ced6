from retail.core import BatchRequest, BatchSummary, Budget, Caller, cloud_function
from retail.orders import expire_unpaid_orders
from retail.payments import close_payment


@cloud_function(BatchRequest, response=BatchSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> BatchSummary:
    budget = Budget.from_limit(caller.time_limit_ms)
    return expire_unpaid_orders(cmd, budget=budget, close_payment=close_payment)
