"""The function runtime: turns `main_handler(event, context)` into a typed, logged call."""

from retail.common.batches import BatchRequest, BatchSummary, Budget
from retail.common.health import CheckHealth, Health, check_health
from retail.common.housekeeping import Housekeep, HousekeepingSummary
from retail.common.models import PlainText
from retail.common.operator import Operator

from .identity import Caller
from .runtime import cloud_function, operator_of

__all__ = [
    "BatchRequest",
    "BatchSummary",
    "Budget",
    "Caller",
    "CheckHealth",
    "Health",
    "Housekeep",
    "HousekeepingSummary",
    "Operator",
    "PlainText",
    "check_health",
    "cloud_function",
    "operator_of",
]
