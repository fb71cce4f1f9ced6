from retail.analytics import ShowSummary, Summary, retention_report
from retail.core import Caller, cloud_function


@cloud_function(ShowSummary, response=Summary, auth="operator")
def main_handler(cmd: ShowSummary, caller: Caller) -> Summary:
    caller.require_operator("admin")
    return retention_report(cmd)
