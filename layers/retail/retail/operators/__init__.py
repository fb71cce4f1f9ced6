"""The back office: operator accounts and sign-in, and the audited actions operators take."""

from .accounts import OperatorSession, SignIn, create_operator, sign_in
from .actions import (
    AdjustStock,
    ProductStatus,
    PublishProduct,
    SaveCouponTemplate,
    SaveMerchant,
    SaveProduct,
    StockLevel,
    adjust_stock,
    publish_product,
    save_coupon_template,
    save_merchant,
    save_product,
)
from .order_search import OrderSearch, SearchResults, search_orders

__all__ = [
    "AdjustStock",
    "OperatorSession",
    "OrderSearch",
    "ProductStatus",
    "PublishProduct",
    "SaveCouponTemplate",
    "SaveMerchant",
    "SaveProduct",
    "SearchResults",
    "SignIn",
    "StockLevel",
    "adjust_stock",
    "create_operator",
    "publish_product",
    "save_coupon_template",
    "save_merchant",
    "save_product",
    "search_orders",
    "sign_in",
]
