"""Users: signing in (CloudBase identity or wx.login code) and the user's own profile."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
