"""The behaviour events the mini-program may track: `track` accepts exactly these, and an
experiment may convert on any of them. Order facts (placed, paid, refunded) are not among
them: they are read from the orders."""

from __future__ import annotations

from typing import Literal, get_args

TrackedType = Literal[
    "page_view",
    "product_view",
    "add_to_cart",
    "checkout_start",
    "share",
    "share_open",
    "coupon_claim",
    "ad_click",
]
TRACKED_TYPES: frozenset[str] = frozenset(get_args(TrackedType))
