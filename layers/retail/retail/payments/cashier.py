"""WeChat Pay as the orders package's cashier: the payment side of taking an order back
(orders.take_back), passed in by the functions that decide one."""

from __future__ import annotations

from retail.orders.take_back import Cashier

from .closing import close_payment
from .refunds import refund_parcel, refund_whole_order

WECHAT_PAY = Cashier(
    close_payment=close_payment,
    refund_order=refund_whole_order,
    refund_parcel=refund_parcel,
)
