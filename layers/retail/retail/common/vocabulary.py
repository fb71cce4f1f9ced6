"""The words stored on orders and their lines, typed once for every package (CONTRACT.md).

They are `str` enums, so a stored value and a member compare equal and the store keeps plain
strings; `str()` of a member is its value, so messages read the same as before.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

Delivery = Literal["express", "instant", "pickup", "virtual"]  # virtual: memberships
FROM_A_STORE = ("instant", "pickup")  # deliveries whose stock is the store's, not central


class Word(str, Enum):
    def __str__(self) -> str:
        return str(self.value)


class OrderStatus(Word):
    RESERVING = "RESERVING"
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"
    REFUNDING = "REFUNDING"
    REFUNDED = "REFUNDED"


# An order that counts as the buyer's spending (the customer table): paid and not given back.
SPENDING = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)


class LineStock(Word):
    """What an order line holds in stock."""

    NONE = "NONE"
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    SOLD = "SOLD"


class ParcelStatus(Word):
    """One merchant's share of an order on its way: waiting, handed to a carrier, arrived."""

    WAITING = "WAITING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"


class ParcelRefundStatus(Word):
    """One merchant's parcel given back (orders.parcel_refunds): REFUNDING while WeChat Pay
    sends the money, REFUNDED once it arrived. The order's own status does not move."""

    REFUNDING = "REFUNDING"
    REFUNDED = "REFUNDED"


class ShippingUpload(Word):
    """Where WeChat's copy of an order's shipping stands (orders.shipping_upload): UPLOADED,
    RETRYING after an answer worth waiting out, FAILED on a refusal an operator must read,
    NOT_SHIPPABLE when WeChat says the payment can no longer ship (refunded), NOT_MANAGED
    when the mini-program is not under WeChat's trade management (nothing to upload), and
    NOT_NEEDED for an order paid without WeChat Pay."""

    UPLOADED = "UPLOADED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"
    NOT_SHIPPABLE = "NOT_SHIPPABLE"
    NOT_MANAGED = "NOT_MANAGED"
    NOT_NEEDED = "NOT_NEEDED"


class FailureCode(Word):
    """Why placing an order failed (the order's `failure.code`, the answer's `details.reason`)."""

    OUT_OF_STOCK = "OUT_OF_STOCK"
    PURCHASE_LIMIT = "PURCHASE_LIMIT"
    COUPON_UNAVAILABLE = "COUPON_UNAVAILABLE"
    NOT_ENOUGH_POINTS = "NOT_ENOUGH_POINTS"
    GROUP_CLOSED = "GROUP_CLOSED"
    ACCOUNT_CLOSING = "ACCOUNT_CLOSING"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    INTERRUPTED = "INTERRUPTED"


class RefundStatus(Word):
    """WeChat Pay's word on a refund (pay.weixin.qq.com refund `status`), and PENDING: recorded
    here, not yet accepted there."""

    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    SUCCESS = "SUCCESS"
    CLOSED = "CLOSED"
    ABNORMAL = "ABNORMAL"


class CouponStatus(Word):
    AVAILABLE = "AVAILABLE"
    LOCKED = "LOCKED"
    USED = "USED"
    EXPIRED = "EXPIRED"


class GroupStatus(Word):
    OPEN = "OPEN"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class RefundRequestStatus(Word):
    """A refund an operator reviews (after shipping, or held by the abuse rule): REQUESTED
    until APPROVED (the money goes back) or REJECTED."""

    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class RiskStatus(Word):
    """A risk event's: OPEN until an operator RELEASEs its order or REJECTs it."""

    OPEN = "OPEN"
    RELEASED = "RELEASED"
    REJECTED = "REJECTED"


class SaleStatus(Word):
    """A product's: shoppers see and buy only what is ON_SALE."""

    ON_SALE = "ON_SALE"
    OFF_SALE = "OFF_SALE"


class DealStatus(Word):
    """A group deal's: groups open and join only while it is ACTIVE."""

    ACTIVE = "ACTIVE"
    ENDED = "ENDED"
