"""WeChat Pay v3: prepay, notifications applied exactly once, refund records and their calls,
reconciliation; `WECHAT_PAY`, the cashier the orders package's after-sales decisions use.
The local WeChat Pay that speaks the same protocol is development's (retail_dev)."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
