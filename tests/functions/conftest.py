"""Fixtures the function tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retail.payments.config import wechatpay_config
from retail.payments.connect import wechatpay_client


@pytest.fixture
def fresh_sandbox() -> Iterator[None]:
    """The sandbox keys live under this test's directory: no config cached from another."""
    wechatpay_config.cache_clear()
    wechatpay_client.cache_clear()
    yield
    wechatpay_config.cache_clear()
    wechatpay_client.cache_clear()
