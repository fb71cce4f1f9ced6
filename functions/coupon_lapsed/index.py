from retail.campaigns import WinBackSummary, win_back_lapsed_users
from retail.core import BatchRequest, Budget, Caller, cloud_function


@cloud_function(BatchRequest, response=WinBackSummary, auth="timer")
def main_handler(cmd: BatchRequest, caller: Caller) -> WinBackSummary:
    return win_back_lapsed_users(cmd, budget=Budget.from_limit(caller.time_limit_ms))
