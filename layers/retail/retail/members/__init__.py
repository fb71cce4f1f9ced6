"""Members: an append-only points ledger, a balance kept by guarded updates, growth and level."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
