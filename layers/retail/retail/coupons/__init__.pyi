from .claim import (
    ClaimCoupon,
    CouponView,
    ListCoupons,
    MyCoupons,
    claim_coupon,
    grant_coupon,
    list_coupons,
)
from .usage import best_coupon, coupon_discount, lock_coupon, release_coupon, spend_coupon

__all__ = [
    "ClaimCoupon",
    "CouponView",
    "ListCoupons",
    "MyCoupons",
    "best_coupon",
    "claim_coupon",
    "coupon_discount",
    "grant_coupon",
    "list_coupons",
    "lock_coupon",
    "release_coupon",
    "spend_coupon",
]
