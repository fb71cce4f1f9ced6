"""The catalogue file operators load with scripts/seed.py (format fixed in CONTRACT.md).

Validated whole before anything is written: types and bounds per item, then references
between items (a product's merchant and category, a store's stock, unique ids).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from retail.common.models import ID, ID_PATTERN, MAX_FEN, MAX_UNITS, is_text

FILE = ConfigDict(extra="allow", defer_build=True)
EXTRA_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
EXTRA_TEXT = 2_000
EXTRA_ITEMS = 100
StoreId = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
RESERVED_LOCATIONS = ("central", "presale")  # stock locations that are not stores


class FileEntry(BaseModel):
    """An entry of the file: its own fields, plus extra ones (descriptions, images) that are
    stored as they come, so each must be storable as it is: a plain lower-case name that is
    none of the fields the store keeps beside the entry's (`_id`, `$inc` or `a.b` would be an
    operator or a path), and a value of text, number, true/false or null (or a short list or
    map of them) that MongoDB can hold."""

    model_config = FILE
    KEPT_BESIDE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def extras_are_storable(self) -> FileEntry:
        for name, value in (self.model_extra or {}).items():
            if not EXTRA_NAME.match(name) or name in self.KEPT_BESIDE:
                raise ValueError(f"{name}: not a field an entry may carry")
            _storable(name, value, depth=0)
        return self


def _storable(path: str, value: Any, depth: int) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_FEN * 100:
            raise ValueError(f"{path}: a number this large is not a catalogue value")
    elif isinstance(value, float):
        if value != value or abs(value) > 1e15:
            raise ValueError(f"{path}: not a finite number")
    elif isinstance(value, str):
        _text(path, value)
    elif isinstance(value, (list, dict)) and depth < 2 and len(value) <= EXTRA_ITEMS:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(value, dict) and not EXTRA_NAME.match(str(key)):
                raise ValueError(f"{path}.{key}: not a field name an entry may carry")
            _storable(f"{path}.{key}", item, depth + 1)
    else:
        raise ValueError(f"{path}: not a value an entry may carry")


def _text(path: str, value: str) -> None:
    if len(value) > EXTRA_TEXT:
        raise ValueError(f"{path}: at most {EXTRA_TEXT} characters")
    if not is_text(value):
        raise ValueError(f"{path}: not valid text")


class MerchantEntry(FileEntry):
    KEPT_BESIDE = frozenset({"status", "created_at", "payee"})  # payee: merchant_save asks
    merchant_id: str = ID
    name: str = Field(min_length=1, max_length=100)
    commission_rate_bp: int = Field(ge=0, le=10_000)
    own: bool = Field(False, description="the platform's own merchant (自营): sells memberships")


class StoreEntry(FileEntry):
    KEPT_BESIDE = frozenset({"status", "created_at"})
    store_id: str = ID
    merchant_id: str = ID
    name: str = Field(min_length=1, max_length=100)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class CategoryEntry(FileEntry):
    KEPT_BESIDE = frozenset({"rank"})
    category_id: str = ID
    name: str = Field(min_length=1, max_length=50)


class SkuEntry(FileEntry):
    KEPT_BESIDE = frozenset(
        {"product_id", "merchant_id", "category_id", "retired_at", "stock_split"}
    )
    sku_id: str = ID
    spec: str | None = Field(None, min_length=1, max_length=60, description="规格, e.g. 500g")
    price: int = Field(ge=1, le=MAX_FEN, description="fen")
    stock: int = Field(ge=0, le=MAX_UNITS, description="opening stock in the central warehouse")
    limit_per_buyer: int | None = Field(
        None, ge=1, le=999, description="限购: units per buyer, device and address across orders"
    )
    store_stock: dict[StoreId, Annotated[int, Field(ge=0, le=MAX_UNITS)]] = Field(
        default_factory=dict, max_length=500, description="opening stock per store_id"
    )

    @model_validator(mode="after")
    def stores_are_stores(self) -> SkuEntry:
        for location in self.store_stock:
            if location in RESERVED_LOCATIONS:
                raise ValueError(f"store_stock.{location}: not a store (the SKU's `stock` is)")
        return self


class PresaleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    ship_on: date = Field(description="the day presale orders start to ship")


class MembershipEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    days: int = Field(ge=1, le=3660, description="membership days one unit buys")


class ProductEntry(FileEntry):
    KEPT_BESIDE = frozenset(
        {"rank", "price", "sku_ids", "status", "sales", "sales_base", "rating", "created_at", "ops"}
    )
    product_id: str = ID
    merchant_id: str = ID
    category_id: str = ID
    title: str = Field(min_length=1, max_length=120)
    skus: Sequence[SkuEntry] = Field(min_length=1, max_length=100)
    membership: MembershipEntry | None = Field(
        None, description="a paid membership (会员) sold through an order with delivery virtual"
    )
    presale: PresaleEntry | None = Field(
        None, description="sold ahead from a quota: each SKU's `stock` is its presale quota"
    )

    @model_validator(mode="after")
    def skus_are_distinct(self) -> ProductEntry:
        seen: set[str] = set()
        for i, sku in enumerate(self.skus):
            if sku.sku_id in seen:
                raise ValueError(f"skus[{i}].sku_id: {sku.sku_id!r} is listed twice")
            seen.add(sku.sku_id)
        return self


class CouponScope(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    kind: Literal["all", "categories", "products", "merchants"] = "all"
    ids: list[str] = Field(default_factory=list, max_length=500)


class CouponTemplateEntry(FileEntry):
    KEPT_BESIDE = frozenset({"claimed", "status", "created_at"})
    template_id: str = ID
    title: str = Field(min_length=1, max_length=60)
    discount: int = Field(ge=1, le=MAX_FEN, description="fen off (fixed), or the cap (percent)")
    threshold: int = Field(0, ge=0, le=MAX_FEN, description="fen of eligible goods needed")
    total_quota: int = Field(ge=0, le=MAX_UNITS)
    per_user_limit: int = Field(1, ge=1, le=100)
    kind: Literal["fixed", "percent", "free_shipping"] = "fixed"
    rate_bp: int = Field(0, ge=0, le=10_000, description="percent coupons: basis points off")
    valid_days: int | None = Field(30, ge=1, le=3650, description="valid this long after claiming")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    scope: CouponScope = Field(default_factory=CouponScope)
    guarded: bool = Field(
        False, description="anti-brush: no brand-new accounts, few accounts per device"
    )


class GroupDealEntry(FileEntry):
    KEPT_BESIDE = frozenset({"product_id", "status", "created_at"})
    deal_id: str = ID
    sku_id: str = ID
    group_price: int = Field(ge=1, le=MAX_FEN, description="fen per member")
    size: int = Field(ge=2, le=50, description="members needed")
    hours: int = Field(24, ge=1, le=168, description="how long a group stays open")


class CatalogFile(BaseModel):
    # Entries may carry extra fields (descriptions, images); the file's own keys are fixed,
    # so a misspelt section (`prodcts`) is refused instead of loading nothing.
    model_config = ConfigDict(extra="forbid", defer_build=True)
    merchants: list[MerchantEntry] = Field(default_factory=list)
    stores: list[StoreEntry] = Field(default_factory=list)
    categories: list[CategoryEntry] = Field(default_factory=list)
    products: list[ProductEntry] = Field(default_factory=list)
    coupon_templates: list[CouponTemplateEntry] = Field(default_factory=list)
    group_deals: list[GroupDealEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def references_hold(self) -> CatalogFile:
        _unique("merchants", [m.merchant_id for m in self.merchants], "merchant_id")
        _unique("stores", [s.store_id for s in self.stores], "store_id")
        _unique("categories", [c.category_id for c in self.categories], "category_id")
        _unique("products", [p.product_id for p in self.products], "product_id")
        _unique("coupon_templates", [t.template_id for t in self.coupon_templates], "template_id")
        _unique("group_deals", [d.deal_id for d in self.group_deals], "deal_id")
        merchants = {m.merchant_id for m in self.merchants}
        categories = {c.category_id for c in self.categories}
        stores = {s.store_id for s in self.stores}
        for i, store in enumerate(self.stores):
            _known(f"stores[{i}].merchant_id", store.merchant_id, merchants)
        seen_skus: set[str] = set()
        own = {m.merchant_id for m in self.merchants if m.own}
        for i, product in enumerate(self.products):
            _known(f"products[{i}].merchant_id", product.merchant_id, merchants)
            if product.membership and product.merchant_id not in own:
                raise ValueError(
                    f"products[{i}].membership: memberships are the platform's own goods "
                    f"(merchant {product.merchant_id!r} is not marked own)"
                )
            _known(f"products[{i}].category_id", product.category_id, categories)
            for j, sku in enumerate(product.skus):
                if sku.sku_id in seen_skus:
                    raise ValueError(f"products[{i}].skus[{j}].sku_id: duplicate {sku.sku_id!r}")
                seen_skus.add(sku.sku_id)
                for store_id, qty in sku.store_stock.items():
                    _known(f"products[{i}].skus[{j}].store_stock", store_id, stores)
                    if not 0 <= qty <= 10_000_000:
                        raise ValueError(
                            f"products[{i}].skus[{j}].store_stock.{store_id}: "
                            "must be between 0 and 10000000"
                        )
        for i, deal in enumerate(self.group_deals):
            _known(f"group_deals[{i}].sku_id", deal.sku_id, seen_skus)
        return self


def _unique(section: str, ids: list[str], field: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            raise ValueError(f"{section}[{i}].{field}: duplicate {value!r}")
        seen.add(value)


def _known(path: str, value: str, known: set[str]) -> None:
    if value not in known:
        raise ValueError(f"{path}: {value!r} is not defined in this file")
