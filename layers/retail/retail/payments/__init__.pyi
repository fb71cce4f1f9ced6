from .bill_reconcile import BillsReconciled, ReconcileBills, reconcile_bills
from .cashier import WECHAT_PAY
from .closing import close_payment
from .notifications import (
    Acknowledged,
    Notification,
    handle_payment_notification,
    handle_refund_notification,
    is_from_wechatpay,
)
from .prepay import PaymentParams, Prepay, prepare_payment
from .profit_sharing import ProfitsShared, ShareProfits, share_profits
from .reconcile import reconcile_payments
from .split_reports import ListSplits, SplitPage, list_splits
from .sub_merchants import save_merchant_account
from .transfers import handle_transfer_notification, wechat_pay_transfers

__all__ = [
    "WECHAT_PAY",
    "Acknowledged",
    "BillsReconciled",
    "ListSplits",
    "Notification",
    "PaymentParams",
    "Prepay",
    "ProfitsShared",
    "ReconcileBills",
    "ShareProfits",
    "SplitPage",
    "close_payment",
    "handle_payment_notification",
    "handle_refund_notification",
    "handle_transfer_notification",
    "is_from_wechatpay",
    "list_splits",
    "prepare_payment",
    "reconcile_bills",
    "reconcile_payments",
    "save_merchant_account",
    "share_profits",
    "wechat_pay_transfers",
]
