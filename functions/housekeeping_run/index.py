from retail.core import Caller, Housekeep, HousekeepingSummary, cloud_function
from retail.privacy import finish_erasures
from retail.referral import settle_due_moves


@cloud_function(Housekeep, response=HousekeepingSummary, auth="timer")
def main_handler(cmd: Housekeep, caller: Caller) -> HousekeepingSummary:
    settled = settle_due_moves()  # first: money owed must not wait on an erasure's trouble
    return HousekeepingSummary(erasures_finished=finish_erasures(), balance_moves_settled=settled)
