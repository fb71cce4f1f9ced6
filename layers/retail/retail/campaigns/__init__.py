"""Campaigns that bring users back: subscription grants and the lapsed-user win-back."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
