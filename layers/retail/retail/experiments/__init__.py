"""Experiments (A/B tests) and feature flags (灰度发布): deterministic bucketing by openid."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
