"""The function runtime: turns `main_handler(event, context)` into a typed, logged call."""

from retail.common.batches import BatchRequest, BatchSummary, Budget

from .identity import Caller, Operator
from .runtime import cloud_function

__all__ = ["BatchRequest", "BatchSummary", "Budget", "Caller", "Operator", "cloud_function"]
