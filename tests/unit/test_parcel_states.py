"""A parcel's states and moves (orders.parcel_states), without a store: the table, the state
read from an order, and the filter each state stands for."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from retail.orders.parcel_states import (
    MOVES,
    ParcelState,
    has_left,
    in_state,
    parcel_state,
    reachable,
)
from retail_dev.embedded.matching import matches

S = ParcelState
NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)
ORDERS = {
    S.WAITING: {"merchant_ids": ["m"]},
    S.SHIPPED: {"parcels": {"m": {"status": "SHIPPED", "shipped_at": NOW}}},
    S.DELIVERED: {"parcels": {"m": {"status": "DELIVERED", "delivered_at": NOW}}},
    S.REFUNDING: {"parcel_refunds": {"m": {"status": "REFUNDING", "restock": True}}},
    S.REFUNDED: {
        "parcels": {"m": {"status": "SHIPPED"}},  # left, then its money went back
        "parcel_refunds": {"m": {"status": "REFUNDED", "restock": False}},
    },
}


@pytest.mark.parametrize("state", list(S))
def test_each_state_is_read_from_the_order_and_its_filter_holds_only_there(state):
    assert parcel_state(ORDERS[state], "m") == state
    assert [s for s, order in ORDERS.items() if matches(order, in_state("m", state))] == [state]


def test_a_parcel_never_goes_back_and_every_path_ends_refunded_or_delivered():
    for before, afters in MOVES.items():
        for after in afters:
            assert not reachable(after, before), (before, after)
    ends = {s for s, afters in MOVES.items() if not afters}
    assert ends == {S.REFUNDED}
    assert MOVES[S.DELIVERED] == {S.REFUNDING}  # delivered: only a reviewed refund moves it
    assert all(reachable(S.WAITING, s) for s in S)


def test_a_waiting_parcel_is_refunded_from_stock_and_one_that_left_only_after_shipping():
    assert S.REFUNDING in MOVES[S.WAITING] and S.SHIPPED in MOVES[S.WAITING]
    left = [s for s, order in ORDERS.items() if matches(order, has_left("m"))]
    assert left == [S.SHIPPED, S.DELIVERED]
