from retail.core import Caller, cloud_function
from retail.referral import MyCommissions, MyCommissionsView, my_commissions


@cloud_function(MyCommissions, response=MyCommissionsView)
def main_handler(cmd: MyCommissions, caller: Caller) -> MyCommissionsView:
    return my_commissions(cmd, openid=caller.require_openid())
