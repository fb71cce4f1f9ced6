from retail.analytics import RollUp, RollupSummary, roll_up
from retail.core import Caller, cloud_function


@cloud_function(RollUp, response=RollupSummary, auth="timer")
def main_handler(cmd: RollUp, caller: Caller) -> RollupSummary:
    return roll_up(cmd)
