"""The back office: operator accounts and sign-in, and the audited actions operators take."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
