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
from .metrics import MetricsReport, ShowMetrics, show_metrics
from .order_search import OrderSearch, SearchResults, search_orders

__all__ = [
    "AdjustStock",
    "MetricsReport",
    "OperatorSession",
    "OrderSearch",
    "ProductStatus",
    "PublishProduct",
    "SaveCouponTemplate",
    "SaveMerchant",
    "SaveProduct",
    "SearchResults",
    "ShowMetrics",
    "SignIn",
    "StockLevel",
    "adjust_stock",
    "create_operator",
    "publish_product",
    "save_coupon_template",
    "save_merchant",
    "save_product",
    "search_orders",
    "show_metrics",
    "sign_in",
]
