"""A fresh store for each example of a hypothesis state machine: its own embedded database
under the directory the environment variable `folder` names, the project's indexes and the
demo catalogue, every per-process cache forgotten."""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

from retail.common.database import database, reset_database
from retail.common.ratelimit import forget_limits
from retail.common.settings import reset_settings
from retail.payments.config import wechatpay_config
from retail.payments.connect import wechatpay_client
from retail.store.indexes import apply_indexes

_NUMBERS = itertools.count(1)


def fresh_store(folder: str) -> Any:
    from retail.catalog import load_catalog
    from tests.conftest import DEMO_CATALOG, INDEXES

    os.environ["RETAIL_DB_URI"] = f"sqlite:///{os.environ[folder]}/m{next(_NUMBERS)}.db"
    if database.cache_info().currsize:
        database().close()
    reset_settings()
    reset_database()
    forget_limits()
    wechatpay_config.cache_clear()
    wechatpay_client.cache_clear()
    db = database()
    apply_indexes(db, json.loads(INDEXES.read_text(encoding="utf-8")))
    load_catalog(json.loads(DEMO_CATALOG.read_text(encoding="utf-8")), db)
    return db
