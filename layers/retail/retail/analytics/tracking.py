"""`track`: the mini-program's behaviour events, batched and bounded.

The server adds what the client cannot be trusted with: who (the verified openid), when
(server time and the Asia/Shanghai business day), the channel of the entry scene, the
merchant of a product, and the caller's experiment arms. Order facts (placed, paid,
refunded) are not tracked from the client: analytics reads them from the orders.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from retail.common.clock import day_of, utcnow
from retail.common.database import database
from retail.common.models import OPTIONAL_ID, OUT, STRICT
from retail.common.tracked import TrackedType
from retail.experiments import arm_for, running_experiments
from retail.store import Db
from retail.users.visitors import note_entry_scene

from .channels import channel_of


class TrackedEvent(BaseModel):
    model_config = STRICT
    type: TrackedType
    scene: int | None = Field(None, ge=1000, le=9999, description="the visit's entry scene")
    page: str | None = Field(None, max_length=120, pattern=r"^[A-Za-z0-9_/.-]+$")
    product_id: str | None = OPTIONAL_ID
    share_code: str | None = Field(None, min_length=4, max_length=32, pattern=r"^[A-Z2-7]+$")
    slot_id: str | None = OPTIONAL_ID
    client_at: datetime | None = Field(
        None, strict=False, description="the device clock (ISO 8601), kept for reference"
    )


class Track(BaseModel):
    model_config = STRICT
    events: list[TrackedEvent] = Field(min_length=1, max_length=50)


class Tracked(BaseModel):
    model_config = OUT
    recorded: int


def track(
    cmd: Track,
    *,
    openid: str,
    appid: str | None = None,
    unionid: str | None = None,
    db: Db | None = None,
) -> Tracked:
    db = db if db is not None else database()
    now = utcnow()
    products = {e.product_id for e in cmd.events if e.product_id}
    merchant_of = {
        p["_id"]: p["merchant_id"]
        for p in db.products.find({"_id": {"$in": sorted(products)}}, {"merchant_id": 1})
    }
    arms = {e["_id"]: arm_for(e, openid)["name"] for e in running_experiments(db)}
    docs = [
        {
            **event.model_dump(exclude_none=True),
            "openid": openid,
            "at": now,
            "day": day_of(now).isoformat(),
            "channel": channel_of(event.scene) if event.scene else None,
            "merchant_id": merchant_of.get(event.product_id or ""),
            "arms": arms,
        }
        for event in cmd.events
    ]
    db.events.insert_many(docs)
    scenes = [event.scene for event in cmd.events if event.scene]
    if scenes:  # a visitor whose first calls are events: how it arrived is known now
        note_entry_scene(db, openid, scenes[0], appid=appid, unionid=unionid)
    return Tracked(recorded=len(docs))
