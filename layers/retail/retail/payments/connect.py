"""The one place that chooses WeChat Pay's transport from the settings: HTTPS in production,
the local sandbox in dev (WECHATPAY_MODE=sandbox). The client and the sandbox do not know of
each other; only this module knows both."""

from __future__ import annotations

from functools import lru_cache

from .client import WeChatPayClient
from .config import wechatpay_config
from .transport import HttpsTransport


@lru_cache(maxsize=1)
def wechatpay_client() -> WeChatPayClient:
    config = wechatpay_config()
    if config.mode == "sandbox":
        # dev only: the local WeChat Pay is not in the deployed layer (retail_dev)
        from retail_dev.wechatpay_sandbox import SandboxTransport

        return WeChatPayClient(config, SandboxTransport())
    return WeChatPayClient(config, HttpsTransport(config.api_base, config.timeout_seconds))
