from .cancel import CancelOrder, PaymentCloser, cancel_order, cancel_unpaid
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
from .models import OrderRequest, OrderView, PlaceOrder, Quote
from .payment import mark_paid
from .place import place_order
from .preview import preview_order
from .queries import ListOrders, OrderPage, OrderRef, get_order, list_orders
from .repair import repair_orders
from .settling import due_for_settlement, put_in_settlement, settled

__all__ = [
    "CancelOrder",
    "ListOrders",
    "OrderPage",
    "OrderRef",
    "OrderRequest",
    "OrderView",
    "PaymentCloser",
    "PlaceOrder",
    "Quote",
    "RiderUpdate",
    "ShipOrder",
    "VerifyPickup",
    "auto_confirm_orders",
    "cancel_order",
    "cancel_unpaid",
    "confirm_receipt",
    "due_for_settlement",
    "expire_unpaid_orders",
    "get_order",
    "list_orders",
    "mark_paid",
    "place_order",
    "preview_order",
    "put_in_settlement",
    "record_rider_update",
    "repair_orders",
    "rider_update_is_genuine",
    "settled",
    "ship_order",
    "verify_pickup",
]
