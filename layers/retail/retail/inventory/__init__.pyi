from .adjustments import AdjustStock, StockLevel, adjust_stock
from .audit import audit_stock
from .levels import (
    CENTRAL,
    PRESALE,
    available_at,
    level_id,
    stock_location,
    write_off_available,
)
from .moves import StockMove, apply_move, clear_marker, marker_of

__all__ = [
    "CENTRAL",
    "PRESALE",
    "AdjustStock",
    "StockLevel",
    "StockMove",
    "adjust_stock",
    "apply_move",
    "audit_stock",
    "available_at",
    "clear_marker",
    "level_id",
    "marker_of",
    "stock_location",
    "write_off_available",
]
