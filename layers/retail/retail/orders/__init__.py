"""Orders: pricing, placing with atomic multi-line stock, payment, fulfilment, expiry, repair,
and after-sales (refund requests and reviews, parcel refunds, taking an order back)."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
