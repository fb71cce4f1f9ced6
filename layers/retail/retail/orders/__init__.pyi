from .cancel import CancelOrder, PaymentCloser, cancel_order, cancel_unpaid
from .couriers import CourierList, ListCouriers, list_couriers
from .expire import expire_unpaid_orders
from .fulfilment import (
    RiderUpdate,
    ShipOrder,
    VerifyPickup,
    auto_confirm_orders,
    confirm_receipt,
    record_rider_update,
    rider_update_is_genuine,
    ship_order,
    verify_pickup,
)
from .inspection import OrderDetail, ShowOrder, show_order
from .models import OrderRequest, OrderView, PlaceOrder, Quote
from .notices import notify_group
from .payment import mark_paid
from .place import place_order
from .preview import preview_order
from .queries import ListOrders, OrderPage, OrderRef, get_order, list_orders
from .refund_requests import REFUND_ABUSE, RequestRefund, request_refund
from .refund_reviews import ReviewRefund, review_refund
from .refunding import reject_review
from .repair import repair_orders
from .search import OrderSearch, SearchResults, search_orders
from .settling import due_for_settlement, oldest_due, put_in_settlement, settled
from .sharing import due_for_sharing, look_again, share_again, shared
from .shipping_sync import sync_shipping
from .take_back import Cashier, take_back
from .wechat_receipt import apply_settlement_event, wechat_released

__all__ = [
    "REFUND_ABUSE",
    "CancelOrder",
    "Cashier",
    "CourierList",
    "ListCouriers",
    "ListOrders",
    "OrderDetail",
    "OrderPage",
    "OrderRef",
    "OrderRequest",
    "OrderSearch",
    "OrderView",
    "PaymentCloser",
    "PlaceOrder",
    "Quote",
    "RequestRefund",
    "ReviewRefund",
    "RiderUpdate",
    "SearchResults",
    "ShipOrder",
    "ShowOrder",
    "VerifyPickup",
    "apply_settlement_event",
    "auto_confirm_orders",
    "cancel_order",
    "cancel_unpaid",
    "confirm_receipt",
    "due_for_settlement",
    "due_for_sharing",
    "expire_unpaid_orders",
    "get_order",
    "list_couriers",
    "list_orders",
    "look_again",
    "mark_paid",
    "notify_group",
    "oldest_due",
    "place_order",
    "preview_order",
    "put_in_settlement",
    "record_rider_update",
    "reject_review",
    "repair_orders",
    "request_refund",
    "review_refund",
    "rider_update_is_genuine",
    "search_orders",
    "settled",
    "share_again",
    "shared",
    "ship_order",
    "show_order",
    "sync_shipping",
    "take_back",
    "verify_pickup",
    "wechat_released",
]
