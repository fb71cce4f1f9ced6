"""What every request and answer model shares: the strict request config, the answer config,
the shape of an order id and of a catalogue id, and a range of business days for reports."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

STRICT = ConfigDict(extra="forbid", strict=True, defer_build=True)  # requests: exact types only
OUT = ConfigDict(defer_build=True)  # answers we build ourselves
ORDER_ID = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9]+$")
# Catalogue ids (products, SKUs, stores, merchants, ...): no "." or "$", they become field
# names in maps.
ID_PATTERN = r"^[A-Za-z0-9_:-]+$"
ID = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
OPTIONAL_ID = Field(None, min_length=1, max_length=64, pattern=ID_PATTERN)

MAX_REPORT_DAYS = 400
# Bounds of what a shop enters: no price, discount or budget above 100万 yuan, no stock or
# quota above ten million units (far inside MongoDB's int64, which unbounded input is not).
MAX_FEN = 100_000_000
MAX_UNITS = 10_000_000


def is_text(value: str) -> bool:
    """Valid Unicode text: no lone surrogate (JSON's \\ud800 escape carries one), which no
    store, library or log line can encode."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class DayRange(BaseModel):
    """A report's business days (Asia/Shanghai), first and last included."""

    model_config = STRICT
    start: date = Field(strict=False, description="first business day, YYYY-MM-DD")
    end: date = Field(strict=False, description="last business day, YYYY-MM-DD")

    @model_validator(mode="after")
    def is_a_range(self) -> DayRange:
        if self.end < self.start:
            raise ValueError("end: before start")
        if (self.end - self.start).days > MAX_REPORT_DAYS:
            raise ValueError(f"end: at most {MAX_REPORT_DAYS} days after start")
        return self


class PlainText(BaseModel):
    """An answer a partner reads as text, not as the JSON envelope (WeChat's message push
    wants `echostr` back as it came, and "success" for an event)."""

    text: str
