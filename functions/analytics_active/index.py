from retail.analytics import ActiveReport, DayRange, active_report
from retail.core import Caller, cloud_function


@cloud_function(DayRange, response=ActiveReport, auth="operator")
def main_handler(cmd: DayRange, caller: Caller) -> ActiveReport:
    caller.require_operator("admin")
    return active_report(cmd)
