"""Content security: WeChat's judgement of user text and images before anyone else sees them."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
