"""Feedback tickets (complaints, suggestions) and the NPS survey after completion."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
