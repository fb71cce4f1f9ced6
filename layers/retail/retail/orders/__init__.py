"""Orders: pricing, placing with atomic multi-line stock, payment, fulfilment, expiry, repair."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
