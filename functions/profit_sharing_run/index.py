from retail.core import Budget, Caller, cloud_function
from retail.payments import ProfitsShared, ShareProfits, share_profits


@cloud_function(ShareProfits, response=ProfitsShared, auth="timer")
def main_handler(cmd: ShareProfits, caller: Caller) -> ProfitsShared:
    return share_profits(cmd, budget=Budget.from_limit(caller.time_limit_ms))
