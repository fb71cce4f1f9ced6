"""Stock per SKU and location (the central warehouse or a store): available, reserved, sold.

Invariant for every stock line at every moment outside a single update:
`available + reserved + sold == received - adjusted`, nothing negative.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
