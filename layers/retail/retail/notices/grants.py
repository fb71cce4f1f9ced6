"""Subscribe-message grants: each template a user accepts in wx.requestSubscribeMessage allows
exactly one message, so grants are counted and spent one by one."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.store import Db

TemplateId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]


class AcceptSubscriptions(BaseModel):
    model_config = STRICT
    accepted: list[TemplateId] = Field(max_length=3, description="template ids the user accepted")


class Subscriptions(BaseModel):
    model_config = OUT
    grants: dict[str, int]


def accept_subscriptions(
    cmd: AcceptSubscriptions, *, openid: str, db: Db | None = None
) -> Subscriptions:
    db = db if db is not None else database()
    for template_id in cmd.accepted:
        db.subscriptions.update_one(
            {"_id": f"{openid}:{template_id}"},
            {"$inc": {"grants": 1}, "$setOnInsert": {"openid": openid, "template_id": template_id}},
            upsert=True,
        )
    grants = {
        doc["template_id"]: doc["grants"] for doc in db.subscriptions.find({"openid": openid})
    }
    return Subscriptions(grants=grants)


def take_grant(db: Db, openid: str, template_id: str) -> bool:
    """Spend one grant; False if the user has none left."""
    return bool(
        db.subscriptions.update_one(
            {"_id": f"{openid}:{template_id}", "grants": {"$gte": 1}}, {"$inc": {"grants": -1}}
        ).modified_count
    )


def give_back_grant(db: Db, openid: str, template_id: str) -> None:
    db.subscriptions.update_one({"_id": f"{openid}:{template_id}"}, {"$inc": {"grants": 1}})


def drop_grants(db: Db, openid: str, template_id: str) -> None:
    """WeChat says the user refused or used up the subscription (43101)."""
    db.subscriptions.update_one({"_id": f"{openid}:{template_id}"}, {"$set": {"grants": 0}})
