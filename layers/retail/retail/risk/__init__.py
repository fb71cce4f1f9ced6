"""Anti-brush and risk rules: signals, blacklist, purchase caps, shared-account limits and
the risk events operators review."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
