from retail.core import Caller, cloud_function
from retail.feedback import NpsReport, ShowNps, nps_report


@cloud_function(ShowNps, response=NpsReport, auth="operator")
def main_handler(cmd: ShowNps, caller: Caller) -> NpsReport:
    caller.require_operator("admin", "service")
    return nps_report(cmd)
