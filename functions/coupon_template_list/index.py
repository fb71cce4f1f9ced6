from retail.core import Caller, cloud_function
from retail.operators import ListCouponTemplates, Templates, list_coupon_templates


@cloud_function(ListCouponTemplates, response=Templates, auth="operator")
def main_handler(cmd: ListCouponTemplates, caller: Caller) -> Templates:
    caller.require_operator("admin")
    return list_coupon_templates(cmd)
