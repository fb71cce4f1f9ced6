"""Pricing a prospective order exactly as order_place would, without reserving anything."""

from __future__ import annotations

from typing import Any

from retail.common.database import database

from .models import OrderRequest, Quote
from .pricing import quote_order


def preview_order(cmd: OrderRequest, *, buyer: str, db: Any = None) -> Quote:
    return quote_order(db if db is not None else database(), cmd, buyer)
