from retail.core import Caller, cloud_function
from retail.referral import CommissionPage, ListCommissions, list_commissions


@cloud_function(ListCommissions, response=CommissionPage, auth="operator")
def main_handler(cmd: ListCommissions, caller: Caller) -> CommissionPage:
    return list_commissions(cmd, operator=caller.require_operator("admin"))
