"""Loading a catalogue file: validate all of it, then upsert every item (idempotent).

Opening stock is written once, when a stock line is first created: loading the same file
again never resets stock that orders have since moved (stock changes go through the
inventory functions).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from retail.common.audit import record_audit
from retail.common.clock import utcnow
from retail.common.errors import InvalidArgument
from retail.common.operator import Operator
from retail.common.settings import settings
from retail.common.vocabulary import DealStatus, SaleStatus
from retail.inventory import write_off_available
from retail.store import Db

from .catalog_file import CatalogFile, ProductEntry
from .payees import MARKETPLACE_COMMISSION_CAP_BP, sale_refusal, take_off_sale
from .stock import CENTRAL, PRESALE

# Who the audit log names for what loading a catalogue file changed.
CATALOGUE_FILE = Operator("catalogue-file", "admin")


def parse_catalog(raw: Any) -> CatalogFile:
    """Raises InvalidArgument naming the first offending path (e.g. products[3].skus[0].price)."""
    try:
        return CatalogFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = _path(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        where = f"{path}: " if path and not message.startswith(path) else ""
        raise InvalidArgument(
            f"catalogue refused, nothing written: {where}{message}",
            path=path or message.split(":", 1)[0],
        ) from None


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def refuse_marketplace_commissions(catalog: CatalogFile) -> None:
    """In marketplace mode a commission is taken by profit sharing, at most 30 % of a
    sub-order: a file asking more is refused whole, as merchant_save refuses it."""
    if settings().payment_mode != "marketplace":
        return
    for n, merchant in enumerate(catalog.merchants):
        if merchant.commission_rate_bp > MARKETPLACE_COMMISSION_CAP_BP:
            raise InvalidArgument(
                f"catalogue refused, nothing written: merchants[{n}].commission_rate_bp: at most "
                f"{MARKETPLACE_COMMISSION_CAP_BP} in marketplace mode",
                path=f"merchants[{n}].commission_rate_bp",
            )


def load_catalog(raw: Any, db: Db) -> dict[str, int]:
    """Validate then upsert the whole file; returns how many items of each kind were loaded."""
    catalog = parse_catalog(raw)
    refuse_marketplace_commissions(catalog)
    now = utcnow()
    for m in catalog.merchants:
        db.merchants.update_one(
            {"_id": m.merchant_id},
            {"$set": m.model_dump(), "$setOnInsert": {"status": "ACTIVE", "created_at": now}},
            upsert=True,
        )
    for s in catalog.stores:
        db.stores.update_one(
            {"_id": s.store_id},
            {"$set": s.model_dump(), "$setOnInsert": {"status": "OPEN", "created_at": now}},
            upsert=True,
        )
    for rank, c in enumerate(catalog.categories):
        db.categories.update_one(
            {"_id": c.category_id}, {"$set": {**c.model_dump(), "rank": rank}}, upsert=True
        )
    merchants = {p.merchant_id for p in catalog.products}
    sellable = {
        m["_id"]: sale_refusal(m) is None
        for m in db.merchants.find({"_id": {"$in": sorted(merchants)}})
    }
    for rank, p in enumerate(catalog.products):
        write_product(db, p, rank, now, sellable=sellable.get(p.merchant_id, False))
    for merchant in db.merchants.find({"_id": {"$in": sorted(merchants)}}):
        take_off_sale(db, merchant, CATALOGUE_FILE)  # a product moved to one that may not sell
    retired = write_off_retired(db, [p.product_id for p in catalog.products], CATALOGUE_FILE)
    product_of = {sku.sku_id: p.product_id for p in catalog.products for sku in p.skus}
    for deal in catalog.group_deals:
        db.group_deals.update_one(
            {"_id": deal.deal_id},
            {
                "$set": {**deal.model_dump(), "product_id": product_of[deal.sku_id]},
                "$setOnInsert": {"status": DealStatus.ACTIVE, "created_at": now},
            },
            upsert=True,
        )
    for t in catalog.coupon_templates:
        db.coupon_templates.update_one(
            {"_id": t.template_id},
            {
                "$set": t.model_dump(),
                "$setOnInsert": {"claimed": 0, "status": "ACTIVE", "created_at": now},
            },
            upsert=True,
        )
    return {
        "merchants": len(catalog.merchants),
        "stores": len(catalog.stores),
        "categories": len(catalog.categories),
        "products": len(catalog.products),
        "skus": sum(len(p.skus) for p in catalog.products),
        "coupon_templates": len(catalog.coupon_templates),
        "group_deals": len(catalog.group_deals),
        "retired_skus": retired,
    }


def write_product(db: Db, product: ProductEntry, rank: int, now: Any, *, sellable: bool) -> None:
    """Write the product whole: its SKUs and their opening stock first, then the product
    document, which is what puts them on sale (a SKU is sold only while it is in the
    product's `sku_ids`); a new product of a merchant that may not sell starts off sale
    (catalog.payees). SKUs the product no longer lists, and no other product has taken
    since, are marked retired; `write_off_retired` writes off what they still have."""
    before = db.products.find_one({"_id": product.product_id}, {"sku_ids": 1}) or {}
    for sku in product.skus:
        db.skus.update_one(
            {"_id": sku.sku_id},
            {
                "$set": {
                    **sku.model_dump(exclude={"stock", "store_stock"}),
                    "product_id": product.product_id,
                    "merchant_id": product.merchant_id,
                    "category_id": product.category_id,
                },
                "$unset": {"retired_at": ""},
            },
            upsert=True,
        )
        openings = {PRESALE if product.presale else CENTRAL: sku.stock, **sku.store_stock}
        for location, qty in openings.items():
            db.stock.update_one(
                {"_id": f"{sku.sku_id}@{location}"},
                {
                    "$setOnInsert": {
                        "sku_id": sku.sku_id,
                        "location": location,
                        "available": qty,
                        "reserved": 0,
                        "sold": 0,
                        "received": qty,
                        "adjusted": 0,
                    }
                },
                upsert=True,
            )
    sku_ids = [sku.sku_id for sku in product.skus]
    db.products.update_one(
        {"_id": product.product_id},
        {
            "$set": {
                **product.model_dump(mode="json", exclude={"skus"}),
                "rank": rank,
                "price": min(sku.price for sku in product.skus),
                "sku_ids": sku_ids,
            },
            "$setOnInsert": {
                "status": SaleStatus.ON_SALE if sellable else SaleStatus.OFF_SALE,
                "sales": 0,
                "created_at": now,
            },
        },
        upsert=True,
    )
    retired = [sku_id for sku_id in before.get("sku_ids", []) if sku_id not in sku_ids]
    if retired:
        db.skus.update_many(
            {"_id": {"$in": retired}, "product_id": product.product_id},
            {"$set": {"retired_at": now}},
        )


def write_off_retired(db: Db, product_ids: list[str], operator: Operator) -> int:
    """What the retired SKUs of these products still have available is written off, one
    audit line a level; read from the SKUs themselves, so a save that died before this step
    is finished by the next one. Returns how many retired SKUs the products have."""
    retired = [
        sku["_id"]
        for sku in db.skus.find(
            {"product_id": {"$in": product_ids}, "retired_at": {"$exists": True}}, {"_id": 1}
        )
    ]
    for sku_id in retired:
        for level, before, after in write_off_available(db, sku_id):
            record_audit(db, operator, "stock_adjust: SKU retired", level, before, after)
    return len(retired)
