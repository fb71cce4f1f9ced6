"""The catalogue's back office: products saved and published, merchants saved. Roles: an
admin may do all; a merchant only touches its own products. Every change is audited with its
before and after."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from retail.common.audit import record_audit, save_audited
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, Forbidden, NotFound, Reason, found
from retail.common.models import ID, OUT, STRICT
from retail.common.operator import Operator, Role
from retail.common.vocabulary import SaleStatus
from retail.store import Db

from .catalog_file import ProductEntry, SkuEntry
from .seed import write_off_retired, write_product


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


def publish_product(
    cmd: PublishProduct, *, operator: Operator, db: Db | None = None
) -> ProductStatus:
    db = db if db is not None else database()
    product = db.products.find_one({"_id": cmd.product_id})
    if product is None or not operator.manages(product["merchant_id"]):
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
    operator.require(Role.ADMIN, what="save merchants")
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


def save_product(cmd: SaveProduct, *, operator: Operator, db: Db | None = None) -> ProductStatus:
    """Create or change a product. Raises Forbidden (another merchant's product; a
    membership, which only admins sell, as the platform's own merchant), NotFound
    (merchant, category) or Conflict (a SKU id that belongs to another product)."""
    db = db if db is not None else database()
    if not operator.manages(cmd.merchant_id):
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
    if before is not None and not operator.manages(before["merchant_id"]):
        raise NotFound(f"no product {cmd.product_id!r}")
    rank = before["rank"] if before else db.products.estimated_document_count()
    write_product(db, cmd, rank, utcnow())
    after = found(db.products.find_one({"_id": cmd.product_id}), "product")
    record_audit(db, operator, "product_save", cmd.product_id, before, after)
    write_off_retired(db, [cmd.product_id], operator)
    return ProductStatus(product_id=cmd.product_id, status=after["status"])
