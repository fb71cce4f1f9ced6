"""A test-only switch that kills the process at a named point, to prove crash recovery.

Inert unless RETAIL_ENV=dev and RETAIL_FAULT_POINT names the point: production never dies here.
"""

from __future__ import annotations

import os
import sys

from .settings import settings

EXIT_CODE = 86


def fault_point(name: str) -> None:
    config = settings()
    if config.is_dev and name == config.RETAIL_FAULT_POINT:
        sys.stdout.flush()
        os._exit(EXIT_CODE)
