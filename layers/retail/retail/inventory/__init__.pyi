"""Stock per SKU and location (the central warehouse or a store): available, reserved, sold.

Invariant for every stock line at every moment outside a single update:
`available + reserved + sold == received - adjusted`, nothing negative.
"""

from .audit import audit_stock
from .levels import CENTRAL, PRESALE, available_at, level_id, stock_location
from .moves import StockMove, apply_move, clear_marker, marker_of

__all__ = [
    "CENTRAL",
    "PRESALE",
    "StockMove",
    "apply_move",
    "audit_stock",
    "available_at",
    "clear_marker",
    "level_id",
    "marker_of",
    "stock_location",
]
