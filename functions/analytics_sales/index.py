from retail.analytics import SalesQuery, SalesReport, sales_report
from retail.core import Caller, cloud_function


@cloud_function(SalesQuery, response=SalesReport, auth="operator")
def main_handler(cmd: SalesQuery, caller: Caller) -> SalesReport:
    return sales_report(cmd, operator=caller.require_operator("admin", "merchant"))
