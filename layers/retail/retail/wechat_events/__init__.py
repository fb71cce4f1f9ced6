"""WeChat's message push to the shop: each event verified, opened and handed to its owner."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
