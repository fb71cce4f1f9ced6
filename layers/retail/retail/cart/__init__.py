"""The buyer's cart: SKUs and quantities, shown with today's prices and availability."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
