"""Every way an order's status may change, and what each change brings with it.

`lifecycle.transition` applies only the changes listed here, and applies their effects
itself: the stock moves (and with them the coupon, purchase caps, group place and spent
points) and the outbox effects (sales counters, commission, points earned or taken back,
membership days). No caller can make a change without its effects, or make it twice (it is
one conditional update naming the status it leaves). The WeChat Pay side is the caller's,
and is enforced where the change is made: cancelling takes the closer as a required
argument (cancel.py) and a refund is recorded before WeChat Pay is asked (payments.refunds).
"""

from __future__ import annotations

from dataclasses import dataclass

from retail.common.vocabulary import OrderStatus as S

SALES, PAID_EFFECTS, COMPLETED_EFFECTS, REFUNDED_EFFECTS = "sales", "paid", "completed", "refunded"


@dataclass(frozen=True)
class Effects:
    moves_stock: bool = False  # leave the order unsettled until settle_stock has run
    outbox: tuple[str, ...] = ()
    wechat_pay: str | None = None  # what WeChat Pay must have done: "closed", "paid", "refund"


TRANSITIONS: dict[tuple[S, S], Effects] = {
    (S.RESERVING, S.PENDING_PAYMENT): Effects(),  # every line already holds its stock
    (S.RESERVING, S.FAILED): Effects(moves_stock=True),
    (S.PENDING_PAYMENT, S.PAID): Effects(True, (SALES, PAID_EFFECTS), wechat_pay="paid"),
    (S.PENDING_PAYMENT, S.CANCELLED): Effects(moves_stock=True, wechat_pay="closed"),
    (S.PAID, S.SHIPPED): Effects(),
    (S.PAID, S.COMPLETED): Effects(outbox=(COMPLETED_EFFECTS,)),  # pickup, rider, membership
    (S.SHIPPED, S.COMPLETED): Effects(outbox=(COMPLETED_EFFECTS,)),
    (S.PAID, S.REFUNDING): Effects(True, (REFUNDED_EFFECTS,), wechat_pay="refund"),
    (S.SHIPPED, S.REFUNDING): Effects(True, (REFUNDED_EFFECTS,), wechat_pay="refund"),
    (S.COMPLETED, S.REFUNDING): Effects(True, (REFUNDED_EFFECTS,), wechat_pay="refund"),
    (S.REFUNDING, S.REFUNDED): Effects(),
}


def effects_of(expected: list[S], status: S) -> Effects:
    """The effects of moving from any of `expected` to `status` (the same for each: a list
    of expected statuses names changes that mean the same thing). Raises ValueError for a
    change the table does not allow: a programming error, never the caller's input."""
    found = {TRANSITIONS.get((source, status)) for source in expected}
    if None in found or len(found) != 1:
        raise ValueError(f"no order transition {expected} -> {status}")
    effects = found.pop()
    assert effects is not None
    return effects
