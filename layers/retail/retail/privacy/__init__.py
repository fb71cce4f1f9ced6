"""Personal information rights (个人信息保护法): a user's own data out, and erasure."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
