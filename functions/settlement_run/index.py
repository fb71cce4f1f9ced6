from retail.core import Budget, Caller, cloud_function
from retail.settlement import SettleDay, SettlementSummary, run_settlement


@cloud_function(SettleDay, response=SettlementSummary, auth="timer")
def main_handler(cmd: SettleDay, caller: Caller) -> SettlementSummary:
    return run_settlement(cmd, budget=Budget.from_limit(caller.time_limit_ms))
