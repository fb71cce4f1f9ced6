"""WeChat Pay v3: prepay, notifications applied exactly once, refunds, reconciliation, and a
local sandbox that speaks the same protocol."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
