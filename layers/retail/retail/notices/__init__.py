"""Subscribe messages: the grants users give, and the order notices each grant allows once."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
