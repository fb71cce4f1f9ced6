from retail.core import Caller, cloud_function
from retail.operators import SaveCouponTemplate, save_coupon_template


@cloud_function(SaveCouponTemplate, response=SaveCouponTemplate, auth="operator")
def main_handler(cmd: SaveCouponTemplate, caller: Caller) -> SaveCouponTemplate:
    return save_coupon_template(cmd, operator=caller.require_operator("admin"))
