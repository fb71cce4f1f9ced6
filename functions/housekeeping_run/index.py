from retail.core import Caller, Housekeep, HousekeepingSummary, cloud_function, housekeep


@cloud_function(Housekeep, response=HousekeepingSummary, auth="timer")
def main_handler(cmd: Housekeep, caller: Caller) -> HousekeepingSummary:
    return housekeep(cmd)
