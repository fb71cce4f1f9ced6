from retail.core import Caller, Housekeep, HousekeepingSummary, cloud_function, housekeep
from retail.privacy import finish_erasures


@cloud_function(Housekeep, response=HousekeepingSummary, auth="timer")
def main_handler(cmd: Housekeep, caller: Caller) -> HousekeepingSummary:
    summary = housekeep(cmd)
    summary.erasures_finished = finish_erasures()
    return summary
