"""The order as it is stored: one typed structure for the document and each of its parts.

The document grows as the order lives: what `new_order_doc` writes at placing, then what each
step adds (payment, parcels, refunds, settlement marks). Every key is declared here, so mypy
refuses a key this module does not name and a value of the wrong type; the status of each
dimension (order, line stock, parcel, parcel refund, refund, refund request) is its enum.
Reads go through `orders_of(db)`, the orders collection typed with it; the order functions
write nothing else (tests/functions/test_order_owner.py) and a test checks that every order
a full scenario leaves matches this declaration (tests/unit/test_order_document.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from typing_extensions import TypedDict  # pydantic validates it on Python < 3.12 (the tests)

from retail.common.vocabulary import (
    Delivery,
    FailureCode,
    LineStock,
    OrderStatus,
    ParcelRefundStatus,
    ParcelStatus,
    RefundRequestStatus,
    RefundStatus,
    ShippingUpload,
)
from retail.store import Db

if TYPE_CHECKING:
    from pymongo.collection import Collection


class OrderLine(TypedDict, total=False):
    """One SKU of the order, priced from the catalogue at placing."""

    sku_id: str
    product_id: str
    merchant_id: str
    category_id: str
    title: str
    spec: str | None
    price: int
    qty: int
    amount: int
    location: str
    membership_days: int | None
    stock: LineStock
    buckets: int  # the buckets its level took orders from when placed (absent: one)
    bucket: int  # the bucket its units are in (absent: 0, the level's own document)


class TimelineEntry(TypedDict):
    at: datetime
    status: OrderStatus
    note: str | None


class TrackingEntry(TypedDict, total=False):
    at: datetime
    status: str  # the carrier's or the rider's own word (DISPATCHED, PICKED_UP, ...)
    description: str | None
    merchant_id: str


class Parcel(TypedDict, total=False):
    """One merchant's goods handed to a carrier (`parcels.<merchant_id>`)."""

    status: ParcelStatus
    carrier: str
    tracking_no: str
    shipped_at: datetime
    delivered_at: datetime


class RefundRequest(TypedDict, total=False):
    """A refund that waits for an operator, of the whole order or of one merchant's parcel."""

    status: RefundRequestStatus
    reason: str
    at: datetime
    merchant_id: str
    reviewed_by: str
    note: str | None


class ParcelReview(TypedDict):
    """An operator's approval of the buyer's request, moved onto the parcel it refunds."""

    by: str
    note: str | None
    request: RefundRequest | None


class ParcelRefund(TypedDict, total=False):
    """One merchant's share given back while the rest of the order goes on
    (`parcel_refunds.<merchant_id>`; decision 0012)."""

    status: ParcelRefundStatus
    amount: int
    points_shortfall: int
    restock: bool
    reason: str
    at: datetime
    refunded_at: datetime
    refund_status: RefundStatus
    after_completion: bool
    review: ParcelReview


class Failure(TypedDict, total=False):
    code: FailureCode
    sku_id: str
    coupon_id: str


class WeChatReceipt(TypedDict, total=False):
    """What WeChat said of the buyer's receipt (orders.wechat_receipt): its order_state when
    last asked, whether receipt and settlement are behind it, and its own estimate."""

    state: int
    checked_at: datetime
    received: bool
    settled: bool
    estimated_settlement_at: datetime


class UploadError(TypedDict):
    errcode: int
    errmsg: str
    at: datetime


class PaymentShipping(TypedDict, total=False):
    """WeChat's copy of one sub-order's shipping (orders.wechat_payments)."""

    state: ShippingUpload
    fingerprint: str
    sending: str
    error: UploadError


class WeChatShipping(TypedDict, total=False):
    """WeChat's copy of the order's shipping (orders.shipping_upload); a combined payment's
    sub-orders each under `parts` (orders.wechat_payments), its state then the whole's."""

    state: ShippingUpload
    at: datetime
    fingerprint: str  # of the last upload WeChat accepted
    sending: str  # of an upload sent whose answer has not been recorded
    lease: datetime  # an upload in progress holds the order (orders.shipping_upload)
    presale_reported_at: datetime  # WeChat told the order ships over 15 days after payment
    attempts: int
    error: UploadError
    parts: dict[str, PaymentShipping]  # sub-order out_trade_no -> its shipping at WeChat


class SubOrder(TypedDict):
    """Marketplace mode: one merchant's part of the order's combined payment (平台收付通
    合单支付), fixed at the first prepay (payments.combined): what the buyer pays into the
    merchant's own account, and what the platform adds for its discounts (补差)."""

    merchant_id: str
    sub_mchid: str
    out_trade_no: str
    amount: int  # total_amount, fen: the merchant's goods as paid, and its part of freight
    subsidy: int  # the platform-funded discounts on the merchant's goods (subsidy_amount)


class Order(TypedDict, total=False):
    """The orders collection's document."""

    _id: str
    out_trade_no: str
    openid: str
    idempotency_key: str
    request_hash: str
    status: OrderStatus
    lines: list[OrderLine]
    delivery: Delivery
    store_id: str | None
    distance_m: int | None
    address: dict[str, str | float | None] | None
    goods_amount: int
    freight: int
    discount: int
    member_discount: int
    points_used: int
    total: int
    remark: str | None
    pickup_code: str | None
    merchant_ids: list[str]
    coupon_id: str | None
    group_id: str | None
    ship_on: str | None
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineEntry]
    failure: Failure | None
    # risk, at placing
    risk_marks: list[str]
    risk_hold: str | None
    priority: int
    # payment
    pay_deadline: datetime | None
    prepay_id: str
    prepay_expires_at: datetime
    sub_orders: list[SubOrder]  # marketplace mode: a combined payment, a sub-order a merchant
    sub_transactions: dict[str, str]  # sub-order out_trade_no -> WeChat Pay's transaction_id
    transaction_id: str
    paid_amount: int
    paid_at: datetime
    payment_checked: bool
    # work owed after a change (order_repair finishes it)
    stock_settled: bool
    outbox: list[str]
    # fulfilment
    delivery_id: str | None
    tracking: list[TrackingEntry]
    carrier: str
    tracking_no: str
    shipped_at: datetime
    completed_at: datetime
    parcels: dict[str, Parcel]
    # after-sales
    refund_request: RefundRequest
    refund_reason: str
    refund_status: RefundStatus
    restock: bool
    points_shortfall: int
    refunded_at: datetime
    parcel_refunds: dict[str, ParcelRefund]
    parcels_owed: list[str]
    parcel_refunded_at: datetime
    # the to-do sets of other packages' timers, as partial indexes
    settlement_due: datetime
    customer_due: datetime
    shipping_due: datetime  # WeChat must hear of the order's shipping (orders.shipping_upload)
    sharing_due: datetime  # marketplace: its splits are owed (orders.sharing)
    shared_at: datetime
    wechat_shipping: WeChatShipping
    wechat_receipt: WeChatReceipt


def orders_of(db: Db) -> Collection[Order]:
    """The orders collection, its documents typed as `Order`."""
    return cast("Collection[Order]", db.orders)
