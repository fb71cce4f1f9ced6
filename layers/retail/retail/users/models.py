"""The user profile as the mini-program sees it (never the session_key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from retail.common.models import OUT

# Login and profile requests: unknown keys refused, but lax types (unlike common.models.STRICT).
STRICT = ConfigDict(extra="forbid", defer_build=True)


class UserProfile(BaseModel):
    model_config = OUT

    openid: str
    nickname: str | None = None
    avatar_url: str | None = None
    points: int
    level: int
    first_seen_at: datetime
    last_seen_at: datetime
    entry_scene: int | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> UserProfile:
        return cls(
            openid=doc["_id"],
            nickname=doc.get("nickname"),
            avatar_url=doc.get("avatar_url"),
            points=doc.get("points", 0),
            level=doc.get("level", 1),
            first_seen_at=doc["first_seen_at"],
            last_seen_at=doc["last_seen_at"],
            entry_scene=doc.get("entry_scene"),
        )
