from .accounts import (
    OperatorSession,
    SignIn,
    create_operator,
    delete_operator,
    disable_operator,
    sign_in,
)
from .blacklist import BlacklistEntry, UpdateBlacklist, update_blacklist
from .coupon_templates import SaveCouponTemplate, save_coupon_template
from .directory import (
    ListCouponTemplates,
    ListMerchants,
    Merchants,
    Templates,
    list_coupon_templates,
    list_merchants,
)
from .metrics import MetricsReport, ShowMetrics, show_metrics
from .risk_queue import RiskEvents, RiskEventView, RiskQueue, list_risk_events
from .risk_review import ReviewRisk, review_risk_event

__all__ = [
    "BlacklistEntry",
    "ListCouponTemplates",
    "ListMerchants",
    "Merchants",
    "MetricsReport",
    "OperatorSession",
    "ReviewRisk",
    "RiskEventView",
    "RiskEvents",
    "RiskQueue",
    "SaveCouponTemplate",
    "ShowMetrics",
    "SignIn",
    "Templates",
    "UpdateBlacklist",
    "create_operator",
    "delete_operator",
    "disable_operator",
    "list_coupon_templates",
    "list_merchants",
    "list_risk_events",
    "review_risk_event",
    "save_coupon_template",
    "show_metrics",
    "sign_in",
    "update_blacklist",
]
