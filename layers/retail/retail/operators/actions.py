"""Audited back-office actions: stock adjustments, publishing, merchants, coupon templates.

Roles: admin may do all; a merchant only touches its own products and stock; every change is
one conditional update with an audit entry of its before and after."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pymongo import ReturnDocument

from retail.catalog import save_product as store_product
from retail.catalog import write_off_retired
from retail.catalog.catalog_file import CouponTemplateEntry, ProductEntry, SkuEntry
from retail.common.audit import record_audit, save_audited
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, Forbidden, NotFound, Reason, found
from retail.common.models import ID, OUT, STRICT
from retail.common.operator import Operator, Role
from retail.common.vocabulary import SaleStatus
from retail.store import Db

LOCATION = Field(pattern=r"^(central|presale|[A-Za-z0-9_-]+)$", max_length=64)


class AdjustStock(BaseModel):
    model_config = STRICT
    sku_id: str = ID
    location: str = LOCATION
    delta: int = Field(ge=-1_000_000, le=1_000_000, description="+ received, - written off")
    reason: str = Field(min_length=1, max_length=100)


class StockLevel(BaseModel):
    model_config = OUT
    sku_id: str
    location: str
    available: int
    reserved: int
    sold: int
    received: int
    adjusted: int


class ProductStatus(BaseModel):
    model_config = OUT
    product_id: str
    status: str


class PublishProduct(BaseModel):
    model_config = STRICT
    product_id: str = ID
    on_sale: bool


class SaveMerchant(BaseModel):
    model_config = STRICT
    merchant_id: str = ID
    name: str = Field(min_length=1, max_length=100)
    commission_rate_bp: int = Field(ge=0, le=10_000)
    status: Literal["ACTIVE", "SUSPENDED"] = "ACTIVE"
    own: bool | None = Field(
        None,
        description="the platform's own merchant (自营), which sells memberships; left as it "
        "is when not given",
    )


class SaveSku(SkuEntry):
    """A SKU as an operator saves it: its declared fields only (an unknown field is refused,
    never stored)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class SaveProduct(ProductEntry):
    """A product and its SKUs; new SKUs get their opening stock, existing stock is kept, and
    a SKU left out is retired (no longer sold, its available stock written off)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    skus: list[SaveSku] = Field(min_length=1, max_length=100)
    image: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=2000)
    fresh: bool = False


class SaveCouponTemplate(CouponTemplateEntry):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    status: Literal["ACTIVE", "PAUSED"] = "ACTIVE"


def _owns(operator: Operator, merchant_id: str) -> bool:
    return operator.kind == Role.ADMIN or operator.merchant_id == merchant_id


def _admin_only(operator: Operator) -> None:
    if operator.kind != Role.ADMIN:
        raise Forbidden("only admins may do this")


def adjust_stock(cmd: AdjustStock, *, operator: Operator, db: Db | None = None) -> StockLevel:
    """Receive (+) or write off (-) stock. Raises NotFound, Forbidden or Conflict."""
    db = db if db is not None else database()
    sku = db.skus.find_one({"_id": cmd.sku_id})
    if sku is None or not _owns(operator, sku["merchant_id"]):
        raise NotFound(f"no SKU {cmd.sku_id!r}")
    if cmd.delta == 0:
        raise Conflict("a stock adjustment moves at least one unit")
    level_id = f"{cmd.sku_id}@{cmd.location}"
    before = db.stock.find_one({"_id": level_id})
    if cmd.delta > 0:
        after = db.stock.find_one_and_update(
            {"_id": level_id},
            {
                "$inc": {"available": cmd.delta, "received": cmd.delta},
                "$setOnInsert": {
                    "sku_id": cmd.sku_id,
                    "location": cmd.location,
                    "reserved": 0,
                    "sold": 0,
                    "adjusted": 0,
                },
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    else:
        after = db.stock.find_one_and_update(
            {"_id": level_id, "available": {"$gte": -cmd.delta}},
            {"$inc": {"available": cmd.delta, "adjusted": -cmd.delta}},
            return_document=ReturnDocument.AFTER,
        )
        if after is None:
            raise Conflict(f"only {(before or {}).get('available', 0)} available to write off")
    record_audit(db, operator, f"stock_adjust: {cmd.reason}", level_id, before, after)
    return StockLevel.model_validate(after)


def publish_product(
    cmd: PublishProduct, *, operator: Operator, db: Db | None = None
) -> ProductStatus:
    db = db if db is not None else database()
    product = db.products.find_one({"_id": cmd.product_id})
    if product is None or not _owns(operator, product["merchant_id"]):
        raise NotFound(f"no product {cmd.product_id!r}")
    status = SaleStatus.ON_SALE if cmd.on_sale else SaleStatus.OFF_SALE
    db.products.update_one(
        {"_id": cmd.product_id}, {"$set": {"status": status, "updated_at": utcnow()}}
    )
    record_audit(
        db,
        operator,
        "product_publish",
        cmd.product_id,
        {"status": product["status"]},
        {"status": status},
    )
    return ProductStatus(product_id=cmd.product_id, status=status)


def save_merchant(cmd: SaveMerchant, *, operator: Operator, db: Db | None = None) -> SaveMerchant:
    _admin_only(operator)
    db = db if db is not None else database()
    save_audited(
        db,
        operator,
        "merchant_save",
        "merchants",
        cmd.merchant_id,
        cmd.model_dump(exclude_none=True),
        on_insert={"created_at": utcnow()},
    )
    return cmd


def save_coupon_template(
    cmd: SaveCouponTemplate, *, operator: Operator, db: Db | None = None
) -> SaveCouponTemplate:
    """Create or change a template; its claimed count is never touched here."""
    _admin_only(operator)
    db = db if db is not None else database()
    save_audited(
        db,
        operator,
        "coupon_template_save",
        "coupon_templates",
        cmd.template_id,
        cmd.model_dump(),
        on_insert={"claimed": 0, "created_at": utcnow()},
    )
    return cmd


def save_product(cmd: SaveProduct, *, operator: Operator, db: Db | None = None) -> ProductStatus:
    """Create or change a product. Raises Forbidden (another merchant's product; a
    membership, which only admins sell, as the platform's own merchant), NotFound
    (merchant, category) or Conflict (a SKU id that belongs to another product)."""
    db = db if db is not None else database()
    if not _owns(operator, cmd.merchant_id):
        raise Forbidden("a merchant saves only its own products")
    merchant = db.merchants.find_one({"_id": cmd.merchant_id}, {"own": 1})
    if merchant is None:
        raise NotFound(f"no merchant {cmd.merchant_id!r}")
    if cmd.membership and not (operator.kind == Role.ADMIN and merchant.get("own")):
        raise Forbidden(
            "memberships are the platform's own goods: an admin saves them for an own merchant",
            reason=Reason.PLATFORM_ONLY,
        )
    if db.categories.find_one({"_id": cmd.category_id}, {"_id": 1}) is None:
        raise NotFound(f"no category {cmd.category_id!r}")
    stores = sorted({store for sku in cmd.skus for store in sku.store_stock})
    known = {s["_id"] for s in db.stores.find({"_id": {"$in": stores}}, {"_id": 1})}
    if len(known) < len(stores):
        raise NotFound(f"no store {next(s for s in stores if s not in known)!r}")
    taken = db.skus.find_one(
        {"_id": {"$in": [s.sku_id for s in cmd.skus]}, "product_id": {"$ne": cmd.product_id}}
    )
    if taken is not None:
        raise Conflict(f"SKU {taken['_id']!r} belongs to another product")
    before = db.products.find_one({"_id": cmd.product_id})
    if before is not None and not _owns(operator, before["merchant_id"]):
        raise NotFound(f"no product {cmd.product_id!r}")
    rank = before["rank"] if before else db.products.estimated_document_count()
    store_product(db, cmd, rank, utcnow())
    after = found(db.products.find_one({"_id": cmd.product_id}), "product")
    record_audit(db, operator, "product_save", cmd.product_id, before, after)
    write_off_retired(db, [cmd.product_id], operator)
    return ProductStatus(product_id=cmd.product_id, status=after["status"])
