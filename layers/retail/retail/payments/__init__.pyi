from .closing import close_payment
from .notifications import (
    Acknowledged,
    Notification,
    handle_payment_notification,
    handle_refund_notification,
    is_from_wechatpay,
)
from .prepay import PaymentParams, Prepay, prepare_payment
from .reconcile import reconcile_payments
from .refund_requests import RequestRefund, ReviewRefund, request_refund, review_refund

__all__ = [
    "Acknowledged",
    "Notification",
    "PaymentParams",
    "Prepay",
    "RequestRefund",
    "ReviewRefund",
    "close_payment",
    "handle_payment_notification",
    "handle_refund_notification",
    "is_from_wechatpay",
    "prepare_payment",
    "reconcile_payments",
    "request_refund",
    "review_refund",
]
