from retail.analytics import ShowSummary, Summary, segments_report
from retail.core import Caller, cloud_function


@cloud_function(ShowSummary, response=Summary, auth="operator")
def main_handler(cmd: ShowSummary, caller: Caller) -> Summary:
    return segments_report(cmd, operator=caller.require_operator("admin", "merchant"))
