"""Recommendations: bought together, for you, popular; rebuilt offline, served live."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
