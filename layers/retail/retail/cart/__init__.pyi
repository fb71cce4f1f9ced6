"""The buyer's cart: SKUs and quantities, shown with today's prices and availability."""

from .cart import CartView, ShowCart, UpdateCart, show_cart, update_cart

__all__ = ["CartView", "ShowCart", "UpdateCart", "show_cart", "update_cart"]
