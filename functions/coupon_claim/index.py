from retail.core import Caller, cloud_function
from retail.coupons import ClaimCoupon, CouponView, claim_coupon


@cloud_function(ClaimCoupon, response=CouponView)
def main_handler(cmd: ClaimCoupon, caller: Caller) -> CouponView:
    return claim_coupon(cmd, buyer=caller.require_openid(), client_ip=caller.client_ip)
