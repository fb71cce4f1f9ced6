"""What the back office looks things up by, so operators see names instead of ids: the
merchants (a merchant sees itself only) and the coupon templates (admins), each with the
figures an operator needs beside the name."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from retail.catalog import PayeeView
from retail.common.database import database
from retail.common.models import OUT, STRICT
from retail.common.operator import Operator, Role
from retail.store import Db

MAX_LISTED = 500


class ListMerchants(BaseModel):
    model_config = STRICT


class StoreName(BaseModel):
    model_config = OUT
    store_id: str
    name: str


class MerchantView(BaseModel):
    model_config = OUT
    merchant_id: str
    name: str
    commission_rate_bp: int
    status: str = "ACTIVE"
    own: bool = False
    payee: PayeeView | None = Field(None, description="its 二级商户 at WeChat Pay, if any")
    stores: list[StoreName] = Field(default_factory=list, description="its stores, by name")


class Merchants(BaseModel):
    model_config = OUT
    merchants: list[MerchantView]


class ListCouponTemplates(BaseModel):
    model_config = STRICT
    status: Literal["ACTIVE", "PAUSED"] | None = None


class TemplateView(BaseModel):
    model_config = OUT
    template_id: str
    title: str
    kind: str = "fixed"
    discount: int
    threshold: int = 0
    rate_bp: int = 0
    total_quota: int
    claimed: int = Field(0, description="coupons handed out so far")
    per_user_limit: int = 1
    valid_days: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    guarded: bool = False
    status: str = "ACTIVE"


class Templates(BaseModel):
    model_config = OUT
    templates: list[TemplateView]


def list_merchants(_: ListMerchants, *, operator: Operator, db: Db | None = None) -> Merchants:
    """admin and service (the function admits no other role): every merchant; a merchant:
    itself."""
    db = db if db is not None else database()
    query = {"_id": operator.merchant_id} if operator.merchant_id else {}
    found = list(db.merchants.find(query, sort=[("_id", 1)], limit=MAX_LISTED))
    stores: dict[str, list[StoreName]] = {}
    merchants = [m["_id"] for m in found]
    for store in db.stores.find({"merchant_id": {"$in": merchants}}, {"merchant_id": 1, "name": 1}):
        stores.setdefault(store["merchant_id"], []).append(
            StoreName(store_id=store["_id"], name=store["name"])
        )
    return Merchants(
        merchants=[
            MerchantView(
                **{
                    **m,
                    "merchant_id": m["_id"],
                    "stores": stores.get(m["_id"], []),
                    # the account its sales are paid into: admins' and its own, not service's
                    "payee": m.get("payee") if operator.kind != Role.SERVICE else None,
                }
            )
            for m in found
        ]
    )


def list_coupon_templates(cmd: ListCouponTemplates, *, db: Db | None = None) -> Templates:
    """Every template (or those of one status), newest first, with how many were claimed."""
    db = db if db is not None else database()
    query = {"status": cmd.status} if cmd.status else {}
    found = db.coupon_templates.find(query, sort=[("created_at", -1)], limit=MAX_LISTED)
    return Templates(templates=[TemplateView(**{**t, "template_id": t["_id"]}) for t in found])
