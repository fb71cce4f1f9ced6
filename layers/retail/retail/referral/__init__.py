"""Sharing and referral (社交裂变): share codes, first-touch binding, invite rewards, and the
commission ledger of first orders (分销)."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
