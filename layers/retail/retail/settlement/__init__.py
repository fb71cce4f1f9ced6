"""Merchant settlement: one statement per merchant and business day, exported to COS."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
