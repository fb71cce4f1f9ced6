"""recommend_rebuild: the offline part, a nightly timer.

- Bought together: for each product, the products paid for in the same orders over the
  last 90 days, scored by cosine similarity (co-orders / sqrt(orders of each)).
- Popular: products by units paid over the last 30 days, overall, per category and per
  store (pickup and same-city orders), falling back to the all-time sales counter.
Each document is rewritten whole, so a rebuild run twice leaves the same result.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import combinations
from typing import Any

from pydantic import BaseModel, ConfigDict

from retail.common.clock import utcnow
from retail.common.database import database
from retail.common.models import OUT
from retail.common.vocabulary import OrderStatus
from retail.store import Db

PAID = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)
TOGETHER_DAYS, POPULAR_DAYS = 90, 30
KEEP = 20
MAX_PRODUCTS_PER_ORDER = 20  # bigger baskets say little about what goes together


class Rebuild(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class RebuildSummary(BaseModel):
    model_config = OUT
    orders: int
    products_with_pairs: int


def rebuild_recommendations(_: Rebuild, *, db: Db | None = None) -> RebuildSummary:
    db = db if db is not None else database()
    now = utcnow()
    products = {p["_id"]: p for p in db.products.find({}, {"category_id": 1, "sales": 1})}
    orders_of: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    recent_units: Counter[str] = Counter()
    by_category: dict[str, Counter[str]] = defaultdict(Counter)
    by_store: dict[str, Counter[str]] = defaultdict(Counter)
    seen = 0
    for order in db.orders.find(
        {"status": {"$in": list(PAID)}, "paid_at": {"$gte": now - timedelta(days=TOGETHER_DAYS)}},
        {"lines": 1, "paid_at": 1, "store_id": 1},
    ):
        seen += 1
        basket = sorted({line["product_id"] for line in order["lines"]})
        orders_of.update(basket)
        if len(basket) <= MAX_PRODUCTS_PER_ORDER:
            pairs.update(combinations(basket, 2))
        if order["paid_at"] >= now - timedelta(days=POPULAR_DAYS):
            for line in order["lines"]:
                recent_units[line["product_id"]] += line["qty"]
                category = products.get(line["product_id"], {}).get("category_id")
                if category:
                    by_category[category][line["product_id"]] += line["qty"]
                if order.get("store_id"):
                    by_store[order["store_id"]][line["product_id"]] += line["qty"]
    together: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (a, b), count in pairs.items():
        score = round(count / math.sqrt(orders_of[a] * orders_of[b]), 6)
        together[a].append({"product_id": b, "score": score})
        together[b].append({"product_id": a, "score": score})
    ids = []
    for product_id, others in together.items():
        others.sort(key=lambda o: (-o["score"], o["product_id"]))
        ids.append(product_id)
        db.recommendations.replace_one(
            {"_id": product_id}, {"kind": "together", "items": others[:KEEP]}, upsert=True
        )
    db.recommendations.delete_many({"kind": "together", "_id": {"$nin": ids}})
    every = Counter({pid: p.get("sales", 0) for pid, p in products.items()})
    db.recommendations.replace_one(
        {"_id": "popular"},
        {
            "kind": "popular",
            "all": _ranked(recent_units, every),
            "categories": {
                category: _ranked(
                    units,
                    Counter(
                        {
                            pid: p.get("sales", 0)
                            for pid, p in products.items()
                            if p.get("category_id") == category
                        }
                    ),
                )
                for category, units in by_category.items()
            },
            "stores": {store: _ranked(units, Counter()) for store, units in by_store.items()},
        },
        upsert=True,
    )
    return RebuildSummary(orders=seen, products_with_pairs=len(ids))


def _ranked(recent: Counter[str], fallback: Counter[str]) -> list[str]:
    """Recent units first, then the all-time sales counter, ties by id."""
    ordered = sorted(set(recent) | set(fallback), key=lambda p: (-recent[p], -fallback[p], p))
    return ordered[:50]
