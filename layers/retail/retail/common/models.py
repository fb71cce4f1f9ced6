"""What every request and answer model shares: the strict request config, the answer config,
and the shape of an order id."""

from __future__ import annotations

from pydantic import ConfigDict, Field

STRICT = ConfigDict(extra="forbid", strict=True, defer_build=True)  # requests: exact types only
OUT = ConfigDict(defer_build=True)  # answers we build ourselves
ORDER_ID = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9]+$")
