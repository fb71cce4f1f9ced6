"""Consent to the privacy policy (PIPL): recorded before personal data is stored."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
