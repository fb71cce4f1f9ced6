"""Browsing the catalogue: by category or keyword, sorted, one page at a time."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retail.common.database import database
from retail.common.models import OPTIONAL_ID, OUT
from retail.common.operator import Operator, Role
from retail.common.vocabulary import SaleStatus
from retail.store import Db

from .stock import available_by_sku

ON_SALE = SaleStatus.ON_SALE

SORTS: dict[str, list[tuple[str, int]]] = {
    "default": [("rank", 1), ("_id", 1)],
    "sales": [("sales", -1), ("rank", 1), ("_id", 1)],
    "price": [("price", 1), ("rank", 1), ("_id", 1)],
    "price_desc": [("price", -1), ("rank", 1), ("_id", 1)],
    "new": [("created_at", -1), ("rank", 1), ("_id", 1)],
}


class Browse(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    category_id: str | None = OPTIONAL_ID
    keyword: str | None = Field(None, min_length=1, max_length=40)
    sort: Literal["default", "sales", "price", "price_desc", "new"] = "default"
    page: int = Field(1, ge=1, le=500)
    page_size: int = Field(20, ge=1, le=50)


class ProductCard(BaseModel):
    model_config = OUT

    product_id: str
    title: str
    category_id: str
    merchant_id: str
    price: int
    sales: int
    image: str | None = None
    in_stock: bool
    status: str = Field(ON_SALE, description="OFF_SALE only in an operator's view")


class Category(BaseModel):
    model_config = OUT

    category_id: str
    name: str


class BrowsePage(BaseModel):
    model_config = OUT

    items: list[ProductCard]
    page: int
    has_more: bool
    categories: list[Category] = Field(
        default_factory=list, description="the shop's categories in order, on page 1 only"
    )


def visible_to(operator: Operator | None) -> dict[str, Any]:
    """Which products a caller sees: shoppers what is on sale; an admin every product, and a
    merchant its own too, off sale or not (the console edits them and puts them back)."""
    if operator is None:
        return {"status": ON_SALE}
    if operator.kind == Role.ADMIN:
        return {}
    if operator.kind == Role.MERCHANT:
        return {"$or": [{"status": ON_SALE}, {"merchant_id": operator.merchant_id}]}
    return {"status": ON_SALE}


def browse_catalog(
    cmd: Browse, *, operator: Operator | None = None, db: Db | None = None
) -> BrowsePage:
    db = db if db is not None else database()
    query: dict[str, Any] = visible_to(operator)
    if cmd.category_id:
        query["category_id"] = cmd.category_id
    if cmd.keyword:
        query["title"] = {"$regex": re.escape(cmd.keyword), "$options": "i"}
    docs = list(
        db.products.find(
            query,
            sort=SORTS[cmd.sort],
            skip=(cmd.page - 1) * cmd.page_size,
            limit=cmd.page_size + 1,
        )
    )
    page = docs[: cmd.page_size]
    available = available_by_sku(db, [sku for doc in page for sku in doc.get("sku_ids", [])])
    items = [card_of(d, available) for d in page]
    categories = (
        [
            Category(category_id=c["_id"], name=c["name"])
            for c in db.categories.find({}, sort=[("rank", 1)])
        ]
        if cmd.page == 1
        else []
    )
    return BrowsePage(
        items=items, page=cmd.page, has_more=len(docs) > cmd.page_size, categories=categories
    )


def card_of(product: dict[str, Any], available: dict[str, int]) -> ProductCard:
    """A product as a list shows it, in stock if any of its SKUs has units available."""
    return ProductCard(
        product_id=product["_id"],
        title=product["title"],
        category_id=product["category_id"],
        merchant_id=product["merchant_id"],
        price=product["price"],
        sales=product.get("sales", 0),
        image=product.get("image"),
        in_stock=any(available.get(s, 0) > 0 for s in product.get("sku_ids", [])),
        status=product.get("status", ON_SALE),
    )
