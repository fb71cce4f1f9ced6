from retail.ads import AdReport, ShowAdReport, ad_report
from retail.core import Caller, cloud_function


@cloud_function(ShowAdReport, response=AdReport, auth="operator")
def main_handler(cmd: ShowAdReport, caller: Caller) -> AdReport:
    return ad_report(cmd, operator=caller.require_operator("admin", "merchant"))
