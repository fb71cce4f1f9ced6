from retail.core import Budget, Caller, cloud_function
from retail.payments import BillsReconciled, ReconcileBills, reconcile_bills


@cloud_function(ReconcileBills, response=BillsReconciled, auth="timer")
def main_handler(cmd: ReconcileBills, caller: Caller) -> BillsReconciled:
    return reconcile_bills(cmd, budget=Budget.from_limit(caller.time_limit_ms))
