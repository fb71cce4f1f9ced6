from .adjustments import AdjustStock, StockLevel, adjust_stock
from .audit import audit_stock
from .buckets import (
    MAX_BUCKETS,
    bucket_count,
    bucket_levels,
    finish_transfers,
    rebalance,
    reserve,
    sold_out,
    split_level,
)
from .levels import (
    CENTRAL,
    PRESALE,
    available_at,
    bucket_of,
    level_id,
    stock_location,
    write_off_available,
)
from .moves import StockMove, apply_move, clear_marker, find_marker, marker_of
from .splitting import SplitStock, StockSplit, rebalance_split_levels, split_stock

__all__ = [
    "CENTRAL",
    "MAX_BUCKETS",
    "PRESALE",
    "AdjustStock",
    "SplitStock",
    "StockLevel",
    "StockMove",
    "StockSplit",
    "adjust_stock",
    "apply_move",
    "audit_stock",
    "available_at",
    "bucket_count",
    "bucket_levels",
    "bucket_of",
    "clear_marker",
    "find_marker",
    "finish_transfers",
    "level_id",
    "marker_of",
    "rebalance",
    "rebalance_split_levels",
    "reserve",
    "sold_out",
    "split_level",
    "split_stock",
    "stock_location",
    "write_off_available",
]
