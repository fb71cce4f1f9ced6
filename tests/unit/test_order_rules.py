"""The order's pure rules, without a store: the transition table, a parcel's share of the
money paid and what a whole refund gives back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retail.common.vocabulary import OrderStatus as S
from retail.orders.records import parcel_share
from retail.orders.refunding import refundable
from retail.orders.transitions import TRANSITIONS, effects_of

ENDS = {S.FAILED, S.CANCELLED, S.REFUNDED}


def test_every_change_of_status_is_listed_and_ended_orders_never_move():
    assert all(source not in ENDS for source, _ in TRANSITIONS)
    reachable, frontier = {S.RESERVING}, [S.RESERVING]
    while frontier:
        here = frontier.pop()
        for source, target in TRANSITIONS:
            if source == here and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(S)  # no status that an order can never reach


def test_money_moves_with_the_changes_that_move_it():
    """Stock (and with it coupon, caps, group place and points) moves on payment, failure,
    cancellation and refund only; WeChat Pay is asked on exactly those that take money."""
    moving = {pair for pair, effects in TRANSITIONS.items() if effects.moves_stock}
    assert moving == {
        (S.RESERVING, S.FAILED),
        (S.PENDING_PAYMENT, S.PAID),
        (S.PENDING_PAYMENT, S.CANCELLED),
        (S.PAID, S.REFUNDING),
        (S.SHIPPED, S.REFUNDING),
        (S.COMPLETED, S.REFUNDING),
    }
    refunds = {pair for pair, effects in TRANSITIONS.items() if effects.wechat_pay == "refund"}
    assert refunds == {pair for pair in TRANSITIONS if pair[1] == S.REFUNDING}


def test_a_change_the_table_does_not_allow_is_a_programming_error():
    with pytest.raises(ValueError):
        effects_of([S.REFUNDED], S.PAID)
    with pytest.raises(ValueError):  # expected statuses that mean different changes
        effects_of([S.PAID, S.PENDING_PAYMENT], S.REFUNDING)
    assert effects_of([S.PAID, S.SHIPPED, S.COMPLETED], S.REFUNDING).wechat_pay == "refund"


amounts = st.integers(min_value=1, max_value=10**6)


@st.composite
def orders(draw):
    merchants = draw(st.lists(st.sampled_from(["m1", "m2", "m3"]), min_size=1, max_size=5))
    lines = [{"merchant_id": m, "amount": draw(amounts)} for m in merchants]
    goods = sum(line["amount"] for line in lines)
    discount = draw(st.integers(0, goods - 1))
    freight = draw(st.integers(0, 2000))
    return {
        "lines": lines,
        "goods_amount": goods,
        "freight": freight,
        "total": goods - discount + freight,
        "merchant_ids": sorted(set(merchants)),
    }


@given(orders())
def test_the_parcels_shares_never_add_up_to_more_than_was_paid_for_goods(order):
    shares = [parcel_share(order, m) for m in order["merchant_ids"]]
    paid_for_goods = order["total"] - order["freight"]
    assert all(share >= 0 for share in shares)
    assert paid_for_goods - len(shares) < sum(shares) <= paid_for_goods  # rounded down each


@given(orders(), st.data())
def test_a_whole_refund_gives_back_what_the_parcels_did_not(order, data):
    refunded = {}
    for merchant in data.draw(st.sets(st.sampled_from(order["merchant_ids"]))):
        refunded[merchant] = {"amount": parcel_share(order, merchant)}
    shortfall = data.draw(st.integers(0, order["total"]))
    back = refundable({**order, "parcel_refunds": refunded, "points_shortfall": shortfall})
    left = order["total"] - sum(p["amount"] for p in refunded.values())
    assert back == max(left - shortfall, 0)
    assert 0 <= back + sum(p["amount"] for p in refunded.values()) <= order["total"]
