from .cart import CartView, ShowCart, UpdateCart, show_cart, update_cart

__all__ = ["CartView", "ShowCart", "UpdateCart", "show_cart", "update_cart"]
