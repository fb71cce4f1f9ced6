"""Ad slots: operators sell a position (the home banner, the top of a category) to a merchant
for a time window at a price. `ad_list` serves what is on now and records one impression
per slot served; the app reports clicks with `track` (`ad_click`). The nightly rollup counts
both per slot and day; `ad_report` shows them per slot and merchant (a merchant: its own).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from retail.common.audit import save_audited
from retail.common.clock import day_of, utcnow
from retail.common.database import database
from retail.common.errors import NotFound
from retail.common.models import ID, OPTIONAL_ID, OUT, STRICT, DayRange
from retail.common.operator import Operator
from retail.common.scope import ALL, merchant_scope
from retail.common.vocabulary import SaleStatus
from retail.store import Db

Position = Literal["home_banner", "category_top"]


class SaveSlot(BaseModel):
    model_config = STRICT
    slot_id: str = ID
    position: Position
    category_id: str | None = OPTIONAL_ID
    merchant_id: str = ID
    product_id: str | None = OPTIONAL_ID
    title: str = Field(min_length=1, max_length=60)
    image_key: str = Field(max_length=200, pattern=r"^ads/[A-Za-z0-9/_.-]+$")
    # With an offset (a naive time has no place in the shop's day; it answered 500 when
    # compared with an aware one).
    starts_at: AwareDatetime = Field(strict=False)
    ends_at: AwareDatetime = Field(strict=False)
    price: int = Field(ge=0, le=100_000_000, description="fen the merchant pays for the window")
    active: bool = True

    @model_validator(mode="after")
    def window_and_place(self) -> SaveSlot:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        if (self.position == "category_top") != (self.category_id is not None):
            raise ValueError("category_id: required for category_top, only there")
        return self


class SlotView(BaseModel):
    model_config = OUT
    slot_id: str
    position: str
    category_id: str | None = None
    merchant_id: str
    product_id: str | None = None
    title: str
    image_key: str


class Slots(BaseModel):
    model_config = OUT
    slots: list[SlotView]


class ListAds(BaseModel):
    model_config = STRICT
    position: Position
    category_id: str | None = OPTIONAL_ID


class ShowAdReport(DayRange):
    merchant_id: str | None = OPTIONAL_ID


class AdReport(BaseModel):
    model_config = OUT
    slots: list[dict[str, Any]]
    merchants: dict[str, dict[str, Any]]


def save_slot(cmd: SaveSlot, *, operator: Operator, db: Db | None = None) -> SlotView:
    """Raises NotFound for an unknown merchant, product (of that merchant) or category."""
    db = db if db is not None else database()
    if db.merchants.find_one({"_id": cmd.merchant_id}, {"_id": 1}) is None:
        raise NotFound(f"no merchant {cmd.merchant_id!r}")
    if (
        cmd.product_id
        and db.products.find_one({"_id": cmd.product_id, "merchant_id": cmd.merchant_id}) is None
    ):
        raise NotFound(f"merchant {cmd.merchant_id!r} has no product {cmd.product_id!r}")
    if cmd.category_id and db.categories.find_one({"_id": cmd.category_id}, {"_id": 1}) is None:
        raise NotFound(f"no category {cmd.category_id!r}")
    fields = cmd.model_dump(exclude={"slot_id"})
    save_audited(db, operator, "ad_slot_save", "ad_slots", cmd.slot_id, fields)
    return SlotView(slot_id=cmd.slot_id, **fields)


def list_ads(cmd: ListAds, *, openid: str | None, db: Db | None = None) -> Slots:
    db = db if db is not None else database()
    now = utcnow()
    query: dict[str, Any] = {
        "position": cmd.position,
        "active": True,
        "starts_at": {"$lte": now},
        "ends_at": {"$gt": now},
    }
    if cmd.position == "category_top":
        query["category_id"] = cmd.category_id
    slots = list(db.ad_slots.find(query, sort=[("starts_at", 1), ("_id", 1)], limit=10))
    # A slot may be booked for a product before it goes on sale; it shows only while it is.
    advertised = sorted({s["product_id"] for s in slots if s.get("product_id")})
    on_sale = (
        {
            p["_id"]
            for p in db.products.find(
                {"_id": {"$in": advertised}, "status": SaleStatus.ON_SALE}, {"_id": 1}
            )
        }
        if advertised
        else set()
    )
    slots = [s for s in slots if not s.get("product_id") or s["product_id"] in on_sale]
    if slots:
        day = day_of(now).isoformat()
        db.events.insert_many(
            [
                {
                    "type": "ad_impression",
                    "slot_id": s["_id"],
                    "merchant_id": s["merchant_id"],
                    "openid": openid,  # None for visitors not signed in
                    "at": now,
                    "day": day,
                    "channel": None,
                }
                for s in slots
            ]
        )
    return Slots(slots=[SlotView(**{**s, "slot_id": s["_id"]}) for s in slots])


# What the console needs to show a slot and save it again (to edit it, or to stop it).
SLOT_FIELDS = tuple(f for f in SaveSlot.model_fields if f != "slot_id")


def ad_report(cmd: ShowAdReport, *, operator: Operator, db: Db | None = None) -> AdReport:
    db = db if db is not None else database()
    merchant = merchant_scope(operator, cmd.merchant_id, "ad report")
    query = {} if merchant == ALL else {"merchant_id": merchant}
    slots = {s["_id"]: s for s in db.ad_slots.find(query)}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"impressions": 0, "clicks": 0})
    days = {"$gte": cmd.start.isoformat(), "$lte": cmd.end.isoformat()}
    for doc in db.daily_ads.find({"slot_id": {"$in": sorted(slots)}, "day": days}):
        counts[doc["slot_id"]]["impressions"] += doc["impressions"]
        counts[doc["slot_id"]]["clicks"] += doc["clicks"]
    rows = []
    merchants: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"impressions": 0, "clicks": 0, "spend": 0}
    )
    for slot_id, slot in sorted(slots.items()):
        row = counts[slot_id]
        rows.append(
            {
                "slot_id": slot_id,
                **{k: slot.get(k) for k in SLOT_FIELDS},
                **row,
                "ctr": _ctr(row),
                "price": slot["price"],
            }
        )
        total = merchants[slot["merchant_id"]]
        total["impressions"] += row["impressions"]
        total["clicks"] += row["clicks"]
        total["spend"] += slot["price"]
    for total in merchants.values():
        total["ctr"] = (
            round(total["clicks"] / total["impressions"], 4) if total["impressions"] else 0.0
        )
    return AdReport(slots=rows, merchants=dict(merchants))


def _ctr(counts: dict[str, Any]) -> float:
    return round(counts["clicks"] / counts["impressions"], 4) if counts["impressions"] else 0.0
