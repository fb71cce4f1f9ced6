from retail.core import Caller, cloud_function
from retail.coupons import ListCoupons, MyCoupons, list_coupons


@cloud_function(ListCoupons, response=MyCoupons)
def main_handler(cmd: ListCoupons, caller: Caller) -> MyCoupons:
    return list_coupons(cmd, buyer=caller.require_openid())
