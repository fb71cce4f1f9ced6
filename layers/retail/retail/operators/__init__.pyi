from .accounts import (
    OperatorSession,
    SignIn,
    create_operator,
    delete_operator,
    disable_operator,
    sign_in,
)
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
from .blacklist import BlacklistEntry, UpdateBlacklist, update_blacklist
from .metrics import MetricsReport, ShowMetrics, show_metrics
from .order_search import OrderSearch, SearchResults, search_orders
from .risk_queue import RiskEvents, RiskEventView, RiskQueue, list_risk_events
from .risk_review import ReviewRisk, review_risk_event

__all__ = [
    "AdjustStock",
    "BlacklistEntry",
    "MetricsReport",
    "OperatorSession",
    "OrderSearch",
    "ProductStatus",
    "PublishProduct",
    "ReviewRisk",
    "RiskEventView",
    "RiskEvents",
    "RiskQueue",
    "SaveCouponTemplate",
    "SaveMerchant",
    "SaveProduct",
    "SearchResults",
    "ShowMetrics",
    "SignIn",
    "StockLevel",
    "UpdateBlacklist",
    "adjust_stock",
    "create_operator",
    "delete_operator",
    "disable_operator",
    "list_risk_events",
    "publish_product",
    "review_risk_event",
    "save_coupon_template",
    "save_merchant",
    "save_product",
    "search_orders",
    "show_metrics",
    "sign_in",
    "update_blacklist",
]
