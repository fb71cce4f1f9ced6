"""The data loop: tracking, the nightly rollup, and the dashboards operators read."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
