"""The function runtime: turns `main_handler(event, context)` into a typed, logged call."""

from .identity import Caller, Operator
from .runtime import cloud_function

__all__ = ["Caller", "Operator", "cloud_function"]
