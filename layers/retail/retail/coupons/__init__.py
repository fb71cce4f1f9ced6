"""Coupons: claiming within quota and per-user limits, and using one on an order."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
