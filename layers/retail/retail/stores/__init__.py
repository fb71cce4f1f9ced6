"""Physical stores: finding the ones near the user (instant delivery, pickup)."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
