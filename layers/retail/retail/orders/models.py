"""What the mini-program sends to place or preview an order, and the order it gets back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from retail.common.models import ID, OPTIONAL_ID, OUT, STRICT
from retail.common.vocabulary import (
    Delivery,
    OrderStatus,
    ParcelRefundStatus,
    ParcelStatus,
    RefundStatus,
)
from retail.risk import DEVICE_ID


class Address(BaseModel):
    """The fields of wx.chooseAddress (plus a point from wx.chooseLocation for instant)."""

    model_config = STRICT
    userName: str = Field(min_length=1, max_length=30)
    telNumber: str = Field(min_length=5, max_length=20, pattern=r"^[0-9+\- ]+$")
    provinceName: str = Field(min_length=1, max_length=30)
    cityName: str = Field(min_length=1, max_length=30)
    countyName: str = Field(min_length=1, max_length=30)
    detailInfo: str = Field(min_length=1, max_length=120)
    postalCode: str | None = Field(None, max_length=10)
    streetName: str | None = Field(None, max_length=60)
    detailInfoNew: str | None = Field(None, max_length=120)
    nationalCode: str | None = Field(None, max_length=10)
    errMsg: str | None = Field(None, max_length=40)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class OrderItem(BaseModel):
    model_config = STRICT
    sku_id: str = ID
    qty: int = Field(ge=1, le=99)


class GroupJoin(BaseModel):
    """Buy at a group deal's price: open a new group, or join `group_id`."""

    model_config = STRICT
    deal_id: str = ID
    group_id: str | None = Field(None, min_length=1, max_length=40, pattern=r"^[A-Z0-9]+$")


class OrderRequest(BaseModel):
    """Everything that prices an order; order_preview takes exactly this."""

    model_config = STRICT
    items: list[OrderItem] = Field(min_length=1, max_length=50)
    delivery: Delivery = "express"
    address: Address | None = None
    store_id: str | None = OPTIONAL_ID
    coupon_id: str | None = OPTIONAL_ID
    points: int = Field(0, ge=0, le=1_000_000, description="points to pay with, 1 fen each")
    group: GroupJoin | None = None
    share_code: str | None = Field(None, min_length=1, max_length=32)
    remark: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def delivery_has_what_it_needs(self) -> OrderRequest:
        if self.delivery in ("express", "instant") and self.address is None:
            raise ValueError(f"address: required for {self.delivery} delivery")
        if self.delivery == "instant" and self.address and self.address.latitude is None:
            raise ValueError("address.latitude/longitude: required for instant delivery")
        if self.delivery == "pickup" and self.store_id is None:
            raise ValueError("store_id: required for pickup")
        return self


class PlaceOrder(OrderRequest):
    idempotency_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    device_id: str | None = Field(
        None, pattern=DEVICE_ID, description="the app's install id (wx storage), for risk caps"
    )


class PricedLine(BaseModel):
    model_config = OUT
    sku_id: str
    product_id: str
    merchant_id: str
    category_id: str
    title: str
    spec: str | None = None
    price: int
    qty: int
    amount: int
    location: str
    membership_days: int | None = Field(
        None, description="membership days one unit grants, fixed when the order is placed"
    )


class Quote(BaseModel):
    """An order's prices as order_place would charge them (integer fen)."""

    model_config = OUT
    lines: list[PricedLine]
    delivery: Delivery
    store_id: str | None = None
    distance_m: int | None = None
    goods_amount: int
    freight: int
    discount: int = Field(description="the coupon's share")
    member_discount: int = 0
    points_used: int = 0
    total: int
    coupon_id: str | None = None
    group_id: str | None = None
    suggested_coupon_id: str | None = Field(
        None, description="the caller's usable coupon that would take most off"
    )
    ship_on: str | None = Field(None, description="presale: the day the goods ship (YYYY-MM-DD)")


class TimelineEntry(BaseModel):
    model_config = OUT
    at: datetime
    status: OrderStatus
    note: str | None = None


class TrackingEntry(BaseModel):
    model_config = OUT
    at: datetime
    status: str
    description: str | None = None
    merchant_id: str | None = Field(None, description="whose parcel (express by parcel)")


class ParcelRefund(BaseModel):
    """One merchant's parcel given back (orders.parcel_refunds)."""

    model_config = OUT
    status: ParcelRefundStatus = Field(
        description="REFUNDING until the money arrived, then REFUNDED"
    )
    amount: int = Field(description="the parcel's share of what was paid for goods, fen")
    points_shortfall: int = Field(0, description="earned points already spent: off the refund")
    restock: bool = Field(description="the goods had not left: back to stock")
    reason: str
    at: datetime
    refunded_at: datetime | None = None
    refund_status: RefundStatus | None = Field(None, description="WeChat Pay's word on the refund")


class Parcel(BaseModel):
    """One merchant's lines on their way (orders.parcels)."""

    model_config = OUT
    status: ParcelStatus
    carrier: str
    tracking_no: str
    shipped_at: datetime
    delivered_at: datetime | None = None


class OrderView(Quote):
    order_id: str
    out_trade_no: str
    status: OrderStatus
    created_at: datetime
    pay_deadline: datetime | None = None
    transaction_id: str | None = Field(None, description="WeChat Pay's, once the order is paid")
    pickup_code: str | None = None
    address: Address | None = None
    failure: dict[str, str] | None = None
    timeline: list[TimelineEntry]
    tracking: list[TrackingEntry] = []
    parcels: dict[str, Parcel] = Field(
        {}, description="merchant_id -> its parcel, once handed to a carrier"
    )
    parcel_refunds: dict[str, ParcelRefund] = Field(
        {}, description="merchant_id -> the refund of its parcel (refund_request merchant_id)"
    )
    refund_status: RefundStatus | None = Field(
        None, description="WeChat Pay's word on a refund of the whole order"
    )
    carrier: str | None = None
    tracking_no: str | None = None
    delivery_id: str | None = None
