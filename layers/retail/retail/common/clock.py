"""The one source of 'now': aware UTC, millisecond precision like the store keeps."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
