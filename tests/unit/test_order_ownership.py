"""The orders package is the one writer of orders, through a table of transitions (who
writes orders, as it happens: tests/functions/test_order_owner.py)."""

from __future__ import annotations

import pytest

from retail.common.vocabulary import OrderStatus as S
from retail.orders.lifecycle import transition
from retail.orders.transitions import TRANSITIONS, effects_of


def test_a_change_the_table_does_not_list_is_refused_before_anything_is_written(db):
    with pytest.raises(ValueError):
        transition(db, "O-none", S.CANCELLED, S.RESERVING)  # no order is ever revived
    with pytest.raises(ValueError):
        effects_of([S.PAID, S.CANCELLED], S.SHIPPED)
    assert db.orders.count_documents({}) == 0


def test_every_change_that_gives_back_or_takes_money_moves_stock_with_it():
    for (source, target), effects in TRANSITIONS.items():
        if target in (S.CANCELLED, S.FAILED, S.PAID, S.REFUNDING):
            assert effects.moves_stock, (source, target)
        if target == S.CANCELLED:
            assert effects.wechat_pay == "closed"
