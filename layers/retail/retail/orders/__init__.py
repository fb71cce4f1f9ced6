"""Orders: pricing, placing with atomic multi-line stock, cancelling, expiry and repair."""

from .cancel import CancelOrder, cancel_order
from .expire import expire_unpaid_orders
from .models import OrderRequest, OrderView, PlaceOrder, Quote
from .place import place_order
from .preview import preview_order
from .queries import ListOrders, OrderPage, OrderRef, get_order, list_orders
from .repair import repair_orders

__all__ = [
    "CancelOrder",
    "ListOrders",
    "OrderPage",
    "OrderRef",
    "OrderRequest",
    "OrderView",
    "PlaceOrder",
    "Quote",
    "cancel_order",
    "expire_unpaid_orders",
    "get_order",
    "list_orders",
    "place_order",
    "preview_order",
    "repair_orders",
]
