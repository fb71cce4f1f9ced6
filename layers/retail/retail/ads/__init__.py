"""Ad slots sold to merchants: scheduled placements, impressions, clicks and a report."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
