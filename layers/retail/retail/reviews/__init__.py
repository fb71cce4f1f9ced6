"""Product reviews: one per bought line of a completed order, with rating aggregates."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
