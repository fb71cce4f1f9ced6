"""Group buying (拼团): open or join a group at the group price; it succeeds when enough
members have paid, and fails at its deadline otherwise."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
