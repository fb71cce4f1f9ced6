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


@pytest.fixture
def promoter(seeded):
    """A promoter a month old with 1,000 yuan available (tests/functions/test_withdrawals.py)."""
    from datetime import timedelta

    from retail.common.clock import utcnow

    from .harness import call

    call("user_me", {}, "o-promoter")
    seeded.users.update_one(
        {"_id": "o-promoter"},
        {"$set": {"first_seen_at": utcnow() - timedelta(days=30)}},
        upsert=True,
    )
    seeded.promoter_accounts.insert_one(
        {"_id": "o-promoter", "available": 100_000, "withdrawing": 0, "withdrawn": 0, "debt": 0}
    )
    return seeded


@pytest.fixture
def review_images(monkeypatch):
    """A bucket to sign review images' download links for (signing needs no network)."""
    from retail.adapters.object_storage import forget_client
    from retail.common.settings import reset_settings

    for key, value in {
        "RETAIL_COS_BUCKET": "reviews-1250000000",
        "RETAIL_COS_SECRET_ID": "testing",
        "RETAIL_COS_SECRET_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    forget_client()
    yield
    forget_client()
