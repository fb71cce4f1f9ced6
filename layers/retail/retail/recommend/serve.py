"""`recommend`: what to show next, never anything that cannot be bought now.

- With a product: what is bought together with it, topped up with its category's popular.
- Without: "for you" from the caller's recent views and purchases (what goes with them,
  then what is popular in their categories), leaving out what they just bought; then
  popular at their store or overall. The kill switch flag `recommend-popular-only` serves
  popular items to everyone it is on for.
- Before the first rebuild has seen any sales (a new shop), popular is the catalogue's own
  order, so the home page is never empty.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from retail.catalog.browse import ProductCard, card_of
from retail.catalog.stock import available_by_sku
from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.models import OPTIONAL_ID, OUT, STRICT
from retail.common.vocabulary import OrderStatus, SaleStatus
from retail.experiments import feature_enabled
from retail.store import Db

HISTORY_DAYS = 30


class Recommend(BaseModel):
    model_config = STRICT
    product_id: str | None = OPTIONAL_ID
    store_id: str | None = OPTIONAL_ID
    limit: int = Field(10, ge=1, le=30)


class Recommendations(BaseModel):
    model_config = OUT
    kind: Literal["bought_together", "for_you", "popular"]
    items: list[ProductCard]


def recommend(cmd: Recommend, *, openid: str | None, db: Db | None = None) -> Recommendations:
    db = db if db is not None else database()
    popular = db.recommendations.find_one({"_id": "popular"}) or {}
    if cmd.product_id:
        doc = db.recommendations.find_one({"_id": cmd.product_id}) or {}
        product = db.products.find_one({"_id": cmd.product_id}, {"category_id": 1}) or {}
        candidates = [o["product_id"] for o in doc.get("items", [])]
        candidates += popular.get("categories", {}).get(product.get("category_id"), [])
        return _answer(db, "bought_together", candidates, {cmd.product_id}, cmd.limit)
    fallback = popular.get("stores", {}).get(cmd.store_id, []) + popular.get("all", [])
    if len(popular.get("all", [])) < cmd.limit:
        fallback += _catalogue_order(db, cmd.limit * 3)
    if openid is None or feature_enabled("recommend-popular-only", openid, db):
        return _answer(db, "popular", fallback, set(), cmd.limit)
    viewed, bought = _history(db, openid)
    scores: Counter[str] = Counter()
    for doc in db.recommendations.find({"_id": {"$in": sorted(viewed | bought)}}):
        for other in doc["items"]:
            scores[other["product_id"]] += other["score"] * (2 if doc["_id"] in bought else 1)
    categories = {
        p["category_id"]
        for p in db.products.find({"_id": {"$in": sorted(viewed | bought)}}, {"category_id": 1})
    }
    candidates = [p for p, _ in scores.most_common()]
    for category in sorted(categories):
        candidates += popular.get("categories", {}).get(category, [])[:10]
    kind: Literal["for_you", "popular"] = "for_you" if candidates else "popular"
    return _answer(db, kind, candidates + fallback, bought, cmd.limit)


def _catalogue_order(db: Db, limit: int) -> list[str]:
    shown = db.products.find(
        {"status": SaleStatus.ON_SALE}, {"_id": 1}, sort=[("rank", 1)], limit=limit
    )
    return [p["_id"] for p in shown]


def _history(db: Db, openid: str) -> tuple[set[str], set[str]]:
    since = utcnow() - timedelta(days=HISTORY_DAYS)
    viewed = {
        e["product_id"]
        for e in db.events.find(
            {"openid": openid, "at": {"$gte": since}, "type": "product_view"},
            {"product_id": 1},
            sort=[("at", -1)],
            limit=50,
        )
        if e.get("product_id")
    }
    bought = {
        line["product_id"]
        for order in db.orders.find(
            {"openid": openid, "created_at": {"$gte": since - timedelta(days=150)}},
            {"lines": 1, "status": 1},
            limit=50,
        )
        if order["status"] in (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
        for line in order["lines"]
    }
    return viewed, bought


def _answer(
    db: Db, kind: Any, candidates: list[str], exclude: set[str], limit: int
) -> Recommendations:
    """The first `limit` candidates on sale with stock, in order, each once."""
    wanted = list(dict.fromkeys(p for p in candidates if p not in exclude))[: limit * 3]
    products = {
        p["_id"]: p
        for p in db.products.find({"_id": {"$in": wanted}, "status": SaleStatus.ON_SALE})
    }
    available = available_by_sku(db, [s for p in products.values() for s in p.get("sku_ids", [])])
    cards = [card_of(products[p], available) for p in wanted if p in products]
    return Recommendations(kind=kind, items=[c for c in cards if c.in_stock][:limit])
