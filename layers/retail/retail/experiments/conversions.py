"""What counts as an experiment's conversion, and where it is read from.

A metric is either a tracked behaviour event (read from `events`), or an order fact that the
client never tracks and that is read from the orders themselves: `order` (an order placed
that did not fail for stock) and `pay` (an order paid). Any other metric would never convert,
so saving an experiment on one is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import Any

from retail.common.errors import InvalidArgument, Reason
from retail.common.tracked import TRACKED_TYPES
from retail.common.vocabulary import OrderStatus
from retail.store import Db


class OrderMetric(str, Enum):
    ORDER = "order"
    PAY = "pay"


# per order metric: the order's field holding the moment it converted, and what else it needs
# (an order that failed for stock was never placed)
_FROM_ORDERS: dict[str, tuple[str, dict[str, Any]]] = {
    OrderMetric.ORDER.value: ("created_at", {"status": {"$ne": OrderStatus.FAILED}}),
    OrderMetric.PAY.value: ("paid_at", {}),
}
METRICS: tuple[str, ...] = tuple(sorted(TRACKED_TYPES | _FROM_ORDERS.keys()))


def require_recorded(metric: str) -> None:
    """Raises InvalidArgument (reason METRIC_NOT_RECORDED) for a metric nothing records."""
    if metric not in METRICS:
        raise InvalidArgument(
            f"metric {metric!r} is never recorded: use a tracked event type or an order metric",
            reason=Reason.METRIC_NOT_RECORDED,
            metric=metric,
            metrics=list(METRICS),
        )


def conversions(db: Db, metric: str, since: datetime) -> Iterator[tuple[str, datetime]]:
    """(openid, when) of every conversion on `metric` from `since` on."""
    if metric in _FROM_ORDERS:
        field, extra = _FROM_ORDERS[metric]
        for order in db.orders.find({field: {"$gte": since}, **extra}, {"openid": 1, field: 1}):
            yield order["openid"], order[field]
        return
    for event in db.events.find({"type": metric, "at": {"$gte": since}}, {"openid": 1, "at": 1}):
        yield event["openid"], event["at"]
