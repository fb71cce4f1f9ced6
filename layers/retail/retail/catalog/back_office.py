"""The catalogue's back office: products saved and published, merchants saved. Roles: an
admin may do all; a merchant only touches its own products. Every change is audited with its
before and after."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from retail.common.audit import record_audit, save_audited
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import Conflict, Forbidden, InvalidArgument, NotFound, Reason, found
from retail.common.models import ID, OUT, STRICT
from retail.common.operator import Operator, Role
from retail.common.settings import settings
from retail.common.vocabulary import SaleStatus
from retail.store import Db

from .catalog_file import ProductEntry, SkuEntry
from .payees import (
    MARKETPLACE_COMMISSION_CAP_BP,
    SUB_MCHID,
    Payee,
    PayeeView,
    require_sellable,
    sale_refusal,
    take_off_sale,
)
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
    status: Literal["ACTIVE", "SUSPENDED"] | None = Field(
        None, description="ACTIVE for a new merchant; left as it is when not given"
    )
    own: bool | None = Field(
        None,
        description="the platform's own merchant (自营), which sells memberships; left as it "
        "is when not given",
    )
    sub_mchid: str | None = Field(
        None,
        pattern=SUB_MCHID,
        description="its 二级商户号 at WeChat Pay (marketplace mode: asked before it is kept); "
        "left as it is when not given",
    )
    out_request_no: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]{1,124}$",
        description="the 业务申请编号 of its application at WeChat Pay, asked for its state",
    )


class MerchantSaved(BaseModel):
    model_config = OUT
    merchant_id: str
    name: str
    commission_rate_bp: int
    status: str
    own: bool
    payee: PayeeView | None
    sale_refusal: str | None = Field(description="why its goods may not be on sale, if so")
    taken_off_sale: int = Field(description="its products this save took off sale")


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
    """Raises NotFound, or Conflict (MERCHANT_NOT_PAYABLE) putting on sale what the payment
    mode does not let its merchant sell (catalog.payees)."""
    db = db if db is not None else database()
    product = db.products.find_one({"_id": cmd.product_id})
    if product is None or not operator.manages(product["merchant_id"]):
        raise NotFound(f"no product {cmd.product_id!r}")
    if cmd.on_sale:
        require_sellable(found(db.merchants.find_one({"_id": product["merchant_id"]}), "merchant"))
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


def save_merchant(
    cmd: SaveMerchant, *, operator: Operator, payee: Payee | None, db: Db | None = None
) -> MerchantSaved:
    """Create or change a merchant; `payee` is its sub-merchant as WeChat Pay described it
    (payments.sub_merchants asks), None to keep what it has. A merchant that may no longer
    sell in the payment mode has its products taken off sale (catalog.payees). Raises
    InvalidArgument: a commission above what profit sharing may take in marketplace mode."""
    operator.require(Role.ADMIN, what="save merchants")
    if (
        settings().payment_mode == "marketplace"
        and cmd.commission_rate_bp > MARKETPLACE_COMMISSION_CAP_BP
    ):
        raise InvalidArgument(
            f"WeChat Pay's profit sharing takes at most {MARKETPLACE_COMMISSION_CAP_BP} basis "
            "points of a sub-order in marketplace mode",
            path="commission_rate_bp",
        )
    db = db if db is not None else database()
    fields = cmd.model_dump(exclude_none=True, exclude={"sub_mchid", "out_request_no"})
    if payee is not None:
        fields["payee"] = payee
    save_audited(
        db,
        operator,
        "merchant_save",
        "merchants",
        cmd.merchant_id,
        fields,
        on_insert={"created_at": utcnow(), **({} if cmd.status else {"status": "ACTIVE"})},
    )
    merchant = found(db.merchants.find_one({"_id": cmd.merchant_id}), "merchant")
    taken = take_off_sale(db, merchant, operator)
    shown = merchant.get("payee")
    return MerchantSaved(
        merchant_id=merchant["_id"],
        name=merchant["name"],
        commission_rate_bp=merchant["commission_rate_bp"],
        status=merchant["status"],
        own=bool(merchant.get("own")),
        payee=PayeeView(**shown) if shown else None,
        sale_refusal=sale_refusal(merchant),
        taken_off_sale=taken,
    )


def save_product(cmd: SaveProduct, *, operator: Operator, db: Db | None = None) -> ProductStatus:
    """Create or change a product. Raises Forbidden (another merchant's product; a
    membership, which only admins sell, as the platform's own merchant), NotFound
    (merchant, category) or Conflict (a SKU id that belongs to another product)."""
    db = db if db is not None else database()
    if not operator.manages(cmd.merchant_id):
        raise Forbidden("a merchant saves only its own products")
    merchant = db.merchants.find_one({"_id": cmd.merchant_id})
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
    write_product(db, cmd, rank, utcnow(), sellable=sale_refusal(merchant) is None)
    take_off_sale(db, merchant, operator)  # moved to a merchant that may not sell
    after = found(db.products.find_one({"_id": cmd.product_id}), "product")
    record_audit(db, operator, "product_save", cmd.product_id, before, after)
    write_off_retired(db, [cmd.product_id], operator)
    return ProductStatus(product_id=cmd.product_id, status=after["status"])
