"""Pricing an order from the catalogue (never from the client): lines, delivery, freight.

order_preview and order_place both call `quote_order`, so a preview is exactly what placing
would charge. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from retail.common.clock import utcnow
from retail.common.errors import InvalidArgument, NotFound
from retail.common.settings import settings
from retail.common.vocabulary import CouponStatus, DealStatus, SaleStatus
from retail.coupons import best_coupon, coupon_discount
from retail.inventory import bucket_count, sold_out, stock_location
from retail.members import member_perks
from retail.risk import limits_of
from retail.store import Db
from retail.stores.geo import haversine_m

from .models import OrderRequest, PricedLine, Quote

MAX_QTY_PER_SKU = 99
POINTS_MAX_SHARE_BP = 5_000


def merged_items(request: OrderRequest) -> dict[str, int]:
    """Quantities per SKU with repeated SKUs added up, in SKU order."""
    merged: dict[str, int] = {}
    for item in request.items:
        merged[item.sku_id] = merged.get(item.sku_id, 0) + item.qty
    for sku_id, qty in merged.items():
        if qty > MAX_QTY_PER_SKU:
            raise InvalidArgument(f"items: at most {MAX_QTY_PER_SKU} of {sku_id}", sku_id=sku_id)
    return dict(sorted(merged.items()))


# What pricing reads of the buyer: points, member level and membership (member_perks).
BUYER_FIELDS = {"points": 1, "level": 1, "membership_expires_at": 1}


class Pricing(NamedTuple):
    quote: Quote
    limits: dict[str, int]  # the purchase limit of each SKU of the order that has one
    buckets: dict[str, int]  # {sku_id: K} for the lines whose stock level is split
    sold_out: list[str]  # the SKUs whose stock level was found empty moments ago


def quote_order(db: Db, request: OrderRequest, buyer: str) -> Quote:
    """The quote a preview shows, with the best coupon to suggest."""
    user = db.users.find_one({"_id": buyer}, BUYER_FIELDS)
    return price_order(db, request, buyer, user, suggest=True).quote


def price_order(
    db: Db, request: OrderRequest, buyer: str, user: Mapping[str, Any] | None, *, suggest: bool
) -> Pricing:
    """The quote for `buyer` (`user`: its document with at least BUYER_FIELDS, read by the
    caller, which may need more of it), and the SKUs' purchase limits, from the same reads.
    Raises NotFound (unknown SKU, product or store) or InvalidArgument (store too far,
    coupon not usable)."""
    wanted = merged_items(request)
    deal = _group_deal(db, request, wanted)
    store_id, distance_m = _fulfilment_store(db, request)
    skus = {doc["_id"]: doc for doc in db.skus.find({"_id": {"$in": list(wanted)}})}
    products = {
        doc["_id"]: doc
        for doc in db.products.find(
            {
                "_id": {"$in": sorted({s["product_id"] for s in skus.values()})},
                "status": SaleStatus.ON_SALE,
            }
        )
    }
    lines = []
    ship_on: str | None = None
    for sku_id, qty in wanted.items():
        sku = skus.get(sku_id)
        product = products.get(sku["product_id"]) if sku else None
        if sku is None or product is None or sku_id not in product["sku_ids"]:
            raise NotFound(f"no SKU {sku_id!r} on sale", sku_id=sku_id)
        if bool(product.get("membership")) != (request.delivery == "virtual"):
            raise InvalidArgument(
                "memberships, and only memberships, use delivery 'virtual'", sku_id=sku_id
            )
        if product.get("presale"):
            if request.delivery != "express":
                raise InvalidArgument(f"presale goods ({sku_id}) ship by express only")
            ship_on = max(ship_on or "", product["presale"]["ship_on"])
        lines.append(
            PricedLine(
                sku_id=sku_id,
                product_id=product["_id"],
                merchant_id=product["merchant_id"],
                category_id=product["category_id"],
                title=product["title"],
                spec=sku.get("spec"),
                price=deal["group_price"] if deal else sku["price"],
                qty=qty,
                amount=(deal["group_price"] if deal else sku["price"]) * qty,
                location=stock_location(request.delivery, store_id, bool(product.get("presale"))),
                membership_days=(product.get("membership") or {}).get("days"),
            )
        )
    goods = sum(line.amount for line in lines)
    now = utcnow()
    perks = member_perks(user, now)
    freight = 0 if perks.free_shipping else _freight(request.delivery, goods)
    priced = [line.model_dump() for line in lines]
    discount = _discount(db, request, buyer, priced, freight)
    suggested = best_coupon(db, buyer, priced, freight)[0] if suggest else None
    member_discount = (goods - min(discount, goods)) * perks.discount_bp // 10_000
    payable = goods + freight - discount - member_discount
    points = _points(request.points, (user or {}).get("points", 0), payable)
    quote = Quote(
        lines=lines,
        delivery=request.delivery,
        store_id=store_id,
        ship_on=ship_on,
        coupon_id=request.coupon_id,
        suggested_coupon_id=suggested,
        distance_m=distance_m,
        goods_amount=goods,
        freight=freight,
        discount=discount,
        member_discount=member_discount,
        points_used=points,
        total=payable - points,
    )
    levels = [(skus[line.sku_id], line.location) for line in lines]
    split = {sku["_id"]: bucket_count(sku, location) for sku, location in levels}
    empty = [sku["_id"] for sku, location in levels if sold_out(sku, location, now)]
    return Pricing(quote, limits_of(skus.values()), split, empty)


def _group_deal(db: Db, request: OrderRequest, wanted: dict[str, int]) -> dict[str, Any] | None:
    """The active deal a group order buys at; it takes exactly one unit of the deal's SKU."""
    if request.group is None:
        return None
    deal: dict[str, Any] | None = db.group_deals.find_one(
        {"_id": request.group.deal_id, "status": DealStatus.ACTIVE}
    )
    if deal is None:
        raise NotFound(f"no group deal {request.group.deal_id!r}")
    if wanted != {deal["sku_id"]: 1}:
        raise InvalidArgument(f"a group order is one unit of {deal['sku_id']}")
    return deal


def _points(wanted: int, balance: int, payable: int) -> int:
    """Points pay 1 fen each, for at most half of what is left to pay."""
    if wanted > balance:
        raise InvalidArgument(f"points: only {balance} available", balance=balance)
    cap = payable * POINTS_MAX_SHARE_BP // 10_000
    if wanted > cap:
        raise InvalidArgument(f"points: at most {cap} on this order", cap=cap)
    return wanted


def _freight(delivery: str, goods: int) -> int:
    config = settings()
    if delivery in ("pickup", "virtual") or goods >= config.RETAIL_FREE_SHIPPING_FEN:
        return 0
    return config.RETAIL_INSTANT_FEE_FEN if delivery == "instant" else config.RETAIL_FREIGHT_FEN


def _discount(
    db: Db, request: OrderRequest, buyer: str, lines: list[dict[str, Any]], freight: int
) -> int:
    if request.coupon_id is None:
        return 0
    coupon = db.coupons.find_one(
        {"_id": request.coupon_id, "openid": buyer, "status": CouponStatus.AVAILABLE}
    )
    if coupon is None:
        raise NotFound(f"no usable coupon {request.coupon_id!r}", coupon_id=request.coupon_id)
    amount, problem = coupon_discount(coupon, lines, freight)
    if problem:
        raise InvalidArgument(f"coupon {request.coupon_id}: {problem}", coupon_id=request.coupon_id)
    return amount


def _fulfilment_store(db: Db, request: OrderRequest) -> tuple[str | None, int | None]:
    """The store that fulfils the order (pickup, instant) and its distance to the customer."""
    if request.delivery in ("express", "virtual"):
        return None, None
    if request.delivery == "pickup":
        store = db.stores.find_one({"_id": request.store_id, "status": "OPEN"})
        if store is None:
            raise NotFound(f"no open store {request.store_id!r}", store_id=request.store_id)
        return store["_id"], None
    assert request.address and request.address.latitude is not None
    lat, lon = request.address.latitude, request.address.longitude or 0.0
    radius_m = settings().RETAIL_INSTANT_RADIUS_KM * 1000
    query: dict[str, Any] = {"status": "OPEN"}
    if request.store_id:
        query["_id"] = request.store_id
    candidates = sorted(
        (haversine_m(lat, lon, s["latitude"], s["longitude"]), s["_id"])
        for s in db.stores.find(query)
    )
    if request.store_id and not candidates:
        raise NotFound(f"no open store {request.store_id!r}", store_id=request.store_id)
    if not candidates or candidates[0][0] > radius_m:
        raise InvalidArgument(
            f"no store delivers within {radius_m / 1000:g} km of the address",
            radius_km=radius_m / 1000,
        )
    distance, store_id = candidates[0]
    return store_id, round(distance)
