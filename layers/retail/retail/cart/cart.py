"""One cart document per buyer: `items: {sku_id: qty}` and a count kept by conditional updates,
so the 50-SKU bound holds however many updates race."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from pydantic import BaseModel, Field, model_validator
from pymongo.errors import DuplicateKeyError

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.errors import InvalidArgument, NotFound
from retail.common.models import ID, OPTIONAL_ID, OUT, STRICT
from retail.common.vocabulary import FROM_A_STORE, Delivery, SaleStatus
from retail.inventory import available_at, stock_location
from retail.store import Db

MAX_SKUS = 50


class ShowCart(BaseModel):
    """Availability is judged where order_place would take the stock for this delivery:
    express from the warehouse, pickup and instant from the store (`store_id`)."""

    model_config = STRICT
    delivery: Delivery = "express"
    store_id: str | None = OPTIONAL_ID

    @model_validator(mode="after")
    def a_store_delivers_from_a_store(self) -> ShowCart:
        if self.delivery in FROM_A_STORE and self.store_id is None:
            raise ValueError(f"store_id: required to judge {self.delivery} availability")
        return self


class UpdateCart(ShowCart):
    sku_id: str = ID
    qty: int = Field(ge=0, le=99, description="0 removes the SKU")


class CartLine(BaseModel):
    model_config = OUT
    sku_id: str
    product_id: str | None
    title: str | None
    spec: str | None
    price: int | None
    qty: int
    amount: int
    available: bool
    reason: str | None = None


class CartView(BaseModel):
    model_config = OUT
    items: list[CartLine]
    goods_amount: int


def update_cart(cmd: UpdateCart, *, buyer: str, db: Db | None = None) -> CartView:
    """Raises NotFound (unknown or unpublished SKU) or InvalidArgument (cart full)."""
    db = db if db is not None else database()
    field = f"items.{cmd.sku_id}"
    now = utcnow()
    if cmd.qty == 0:
        db.carts.update_one(
            {"_id": buyer, field: {"$exists": True}},
            {"$unset": {field: ""}, "$inc": {"count": -1}, "$set": {"updated_at": now}},
        )
        return show_cart(_view_of(cmd), buyer=buyer, db=db)
    sku = db.skus.find_one({"_id": cmd.sku_id})
    if (
        sku is None
        or db.products.find_one(
            {"_id": sku["product_id"], "status": SaleStatus.ON_SALE, "sku_ids": cmd.sku_id}
        )
        is None
    ):
        raise NotFound(f"no SKU {cmd.sku_id!r} on sale", sku_id=cmd.sku_id)
    _ensure_cart(db, buyer, now)
    changed = db.carts.update_one(
        {"_id": buyer, field: {"$exists": True}}, {"$set": {field: cmd.qty, "updated_at": now}}
    ).matched_count
    if not changed:
        added = db.carts.update_one(
            {"_id": buyer, field: {"$exists": False}, "count": {"$lt": MAX_SKUS}},
            {"$set": {field: cmd.qty, "updated_at": now}, "$inc": {"count": 1}},
        ).matched_count
        if not added:
            raise InvalidArgument(f"a cart holds at most {MAX_SKUS} different SKUs")
    return show_cart(_view_of(cmd), buyer=buyer, db=db)


def _view_of(cmd: UpdateCart) -> ShowCart:
    return ShowCart(delivery=cmd.delivery, store_id=cmd.store_id)


def _ensure_cart(db: Db, buyer: str, now: Any) -> None:
    with suppress(DuplicateKeyError):  # created by a concurrent first update
        db.carts.update_one(
            {"_id": buyer},
            {"$setOnInsert": {"items": {}, "count": 0, "created_at": now}},
            upsert=True,
        )


def show_cart(cmd: ShowCart, *, buyer: str, db: Db | None = None) -> CartView:
    db = db if db is not None else database()
    cart = db.carts.find_one({"_id": buyer}) or {"items": {}}
    items: dict[str, int] = cart["items"]
    skus = {s["_id"]: s for s in db.skus.find({"_id": {"$in": list(items)}})}
    on_sale = {
        p["_id"]: p
        for p in db.products.find(
            {
                "_id": {"$in": sorted({s["product_id"] for s in skus.values()})},
                "status": SaleStatus.ON_SALE,
            },
            {"title": 1, "presale": 1, "sku_ids": 1},
        )
    }
    stock = available_at(
        db,
        {
            sku_id: stock_location(
                cmd.delivery, cmd.store_id, bool(on_sale.get(sku["product_id"], {}).get("presale"))
            )
            for sku_id, sku in skus.items()
        },
    )
    lines = []
    for sku_id, qty in sorted(items.items()):
        sku = skus.get(sku_id)
        reason = None
        if sku is None or sku_id not in on_sale.get(sku["product_id"], {}).get("sku_ids", []):
            reason = "no longer on sale"
        elif stock.get(sku_id, 0) < qty:
            reason = "not enough stock"
        price = sku["price"] if sku else None
        lines.append(
            CartLine(
                sku_id=sku_id,
                product_id=sku["product_id"] if sku else None,
                title=on_sale.get(sku["product_id"], {}).get("title") if sku else None,
                spec=sku.get("spec") if sku else None,
                price=price,
                qty=qty,
                amount=(price or 0) * qty,
                available=reason is None,
                reason=reason,
            )
        )
    return CartView(items=lines, goods_amount=sum(line.amount for line in lines if line.available))
