from retail.core import Caller, cloud_function
from retail.referral import CommissionReport, CommissionReportFile, commission_report


@cloud_function(CommissionReport, response=CommissionReportFile, auth="operator")
def main_handler(cmd: CommissionReport, caller: Caller) -> CommissionReportFile:
    return commission_report(cmd, operator=caller.require_operator())
