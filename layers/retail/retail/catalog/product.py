"""One product with its SKUs, prices, the stock available right now and the group deals
(拼团) a shopper can open a group with."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.models import ID
from retail.common.operator import Operator
from retail.common.vocabulary import DealStatus
from retail.store import Db

from .browse import ON_SALE, visible_to
from .stock import CENTRAL, bucket_count, levels_by_sku


class ShowProduct(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    product_id: str = ID


class SkuView(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow")

    sku_id: str
    price: int
    stock: int
    store_stock: dict[str, int]
    stock_buckets: int = Field(
        1, description="stock documents the warehouse level takes orders from (stock_split)"
    )


class GroupDealView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    deal_id: str
    sku_id: str
    group_price: int
    size: int
    hours: int


class RetiredSku(BaseModel):
    model_config = ConfigDict(defer_build=True)

    sku_id: str
    spec: str | None = None
    price: int
    retired_at: datetime


class ProductDetail(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="allow")

    product_id: str
    title: str
    category_id: str
    merchant_id: str
    price: int
    sales: int
    status: str = Field(ON_SALE, description="OFF_SALE only in an operator's view")
    skus: list[SkuView]
    group_deals: list[GroupDealView]
    retired_skus: list[RetiredSku] = Field(
        default_factory=list,
        description="SKUs left out of the product, no longer sold (shown to admins and the "
        "product's own merchant only)",
    )


def show_product(
    cmd: ShowProduct, *, operator: Operator | None = None, db: Db | None = None
) -> ProductDetail:
    """Raises NotFound for an unknown product, or one off sale that the caller may not edit."""
    db = db if db is not None else database()
    doc = db.products.find_one({"_id": cmd.product_id, **visible_to(operator)})
    if doc is None:
        raise NotFound(f"no product {cmd.product_id!r}")
    sku_ids = doc.get("sku_ids", [])
    levels = levels_by_sku(db, sku_ids)
    skus = {sku["_id"]: sku for sku in db.skus.find({"_id": {"$in": sku_ids}})}
    views = []
    for sku_id in sku_ids:
        sku = skus[sku_id]
        extra = {
            k: v
            for k, v in sku.items()
            if k not in {"_id", "price", "product_id", "merchant_id", "category_id", "stock_split"}
        }
        stores = {loc: qty for loc, qty in levels[sku_id].items() if loc != CENTRAL}
        views.append(
            SkuView(
                **{
                    **extra,
                    "sku_id": sku_id,
                    "price": sku["price"],
                    "stock": levels[sku_id].get(CENTRAL, 0),
                    "store_stock": stores,
                    "stock_buckets": bucket_count(sku, CENTRAL),
                }
            )
        )
    extra = {
        k: v for k, v in doc.items() if k not in {"_id", "sku_ids", "rank", "created_at", "sales"}
    }
    deals = [
        GroupDealView(**{k: deal[k] for k in GroupDealView.model_fields})
        for deal in db.group_deals.find(
            {"product_id": doc["_id"], "status": DealStatus.ACTIVE, "sku_id": {"$in": sku_ids}}
        ).sort("_id", 1)
    ]
    retired = [
        RetiredSku(**{**sku, "sku_id": sku["_id"]})
        for sku in (
            db.skus.find({"product_id": doc["_id"], "retired_at": {"$exists": True}}).sort("_id", 1)
            if operator is not None and operator.merchant_id in (None, doc["merchant_id"])
            else []
        )
    ]
    return ProductDetail(
        **{
            **extra,
            "product_id": doc["_id"],
            "sales": doc.get("sales", 0),
            "skus": views,
            "group_deals": deals,
            "retired_skus": retired,
        }
    )
