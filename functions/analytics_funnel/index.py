from retail.analytics import FunnelReport, Slice, funnel_report
from retail.core import Caller, cloud_function


@cloud_function(Slice, response=FunnelReport, auth="operator")
def main_handler(cmd: Slice, caller: Caller) -> FunnelReport:
    return funnel_report(cmd, operator=caller.require_operator("admin", "merchant"))
