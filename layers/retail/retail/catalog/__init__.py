"""The catalogue: loading it, browsing it, and one product with its live stock."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
