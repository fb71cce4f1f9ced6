"""Units sold per product counted off the product document (catalog/sales.py): each order
once, spread over shards, totalled by the rollup as a value."""

from __future__ import annotations

import builtins

import pytest

from retail.catalog import count_sale, forget_counted, total_sales
from retail.catalog import sales as module
from retail.catalog.sales import SHARDS, shard_of

from .harness import handler, paid_order, sample


def sales(db, product_id="p-mango"):
    return db.products.find_one({"_id": product_id}).get("sales", 0)


def test_an_order_counts_once_however_often_its_effect_is_replayed(seeded):
    for _ in range(3):
        count_sale(seeded, "O-1", {"p-mango": 2})
    forget_counted(seeded, "O-1", ["p-mango"])
    count_sale(seeded, "O-2", {"p-mango": 1})
    assert total_sales(seeded) == 1
    assert sales(seeded) == 3
    assert total_sales(seeded) == 0 and sales(seeded) == 3  # nothing changed: nothing to do
    assert seeded.product_sales.find_one({"_id": shard_of("O-1", "p-mango")}).get("ops") == {}


def test_orders_spread_over_the_shards(seeded):
    for n in range(64):
        count_sale(seeded, f"O-{n:03d}", {"p-mango": 1})
    used = seeded.product_sales.count_documents({"product_id": "p-mango"})
    assert SHARDS // 2 < used <= SHARDS
    total_sales(seeded)
    assert sales(seeded) == 64


def test_what_the_old_counter_had_is_kept_once(seeded):
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"sales": 40}})
    count_sale(seeded, "O-1", {"p-mango": 2})
    total_sales(seeded)
    count_sale(seeded, "O-2", {"p-mango": 3})
    total_sales(seeded)
    assert sales(seeded) == 45
    assert seeded.products.find_one({"_id": "p-mango"})["sales_base"] == 40


@pytest.mark.parametrize("second", ["O-1", "O-2"], ids=["its shard", "another shard"])
def test_a_sale_counted_while_the_total_runs_is_totalled_by_the_next_run(seeded, second):
    """Counted after the shards were read and before they are unmarked: the shard it went to
    stays marked (its units are not those read, or it was not read), so the next run sets
    the product again."""
    count_sale(seeded, "O-1", {"p-mango": 1})
    forget_counted(seeded, "O-1", ["p-mango"])
    order = "O-1b" if second == "O-1" else "O-2"
    while (shard_of(order, "p-mango") == shard_of("O-1", "p-mango")) != (second == "O-1"):
        order += "x"  # an order id whose shard is the one the case needs
    real_update = seeded.products.update_one

    class Products:
        def __getattr__(self, name):
            return getattr(seeded.products, name)

        def update_one(self, where, change, *args, **kwargs):
            done = real_update(where, change, *args, **kwargs)
            if "$max" in change:
                count_sale(seeded, order, {"p-mango": 1})
            return done

    class Store:
        products = Products()

        def __getattr__(self, name):
            return getattr(seeded, name)

    total_sales(Store())
    assert sales(seeded) == 1  # as read
    assert total_sales(seeded) == 1 and sales(seeded) == 2


def test_a_total_that_dies_before_it_unmarks_is_done_again_by_the_next(seeded):
    """Found by the second review: the shards were unmarked before the product was written,
    so a rollup that died in between left the product short for good."""
    count_sale(seeded, "O-1", {"p-mango": 2})

    class Died(Exception):
        pass

    class Products:
        def __getattr__(self, name):
            return getattr(seeded.products, name)

        def update_one(self, where, change, *args, **kwargs):
            if "$max" in change:
                raise Died
            return seeded.products.update_one(where, change, *args, **kwargs)

    class Store:
        products = Products()

        def __getattr__(self, name):
            return getattr(seeded, name)

    with pytest.raises(Died):
        total_sales(Store())
    assert total_sales(seeded) == 1 and sales(seeded) == 2


def test_payments_count_and_the_rollup_totals(seeded):
    paid_order("sales-0001")  # 2 mangoes, 1 box of eggs
    assert sales(seeded) == 0  # not on the product document at payment
    answer = handler("analytics_rollup")(sample("analytics_rollup"), {})
    assert answer["code"] == "OK", answer
    assert (sales(seeded), sales(seeded, "p-eggs")) == (2, 1)


def test_two_totals_at_once_never_leave_the_product_short(seeded, monkeypatch):
    """Found by review: run A read the shards (1 unit), a sale was counted and run B totalled
    it (2), then A wrote its stale 1, and no shard was marked to put it right. A total now
    never lowers the figure ($max)."""
    count_sale(seeded, "O-1", {"p-mango": 1})
    raced = []

    def racing_sum(values):
        total = builtins.sum(values)
        if not raced:  # A has read the shards; meanwhile:
            raced.append(1)
            count_sale(seeded, "O-2", {"p-mango": 1})
            monkeypatch.setattr(module, "sum", builtins.sum, raising=False)
            total_sales(seeded)  # run B, whole
            assert sales(seeded) == 2
        return total

    monkeypatch.setattr(module, "sum", racing_sum, raising=False)
    total_sales(seeded)  # run A
    for _ in range(3):  # the next hours' rollups
        total_sales(seeded)
    units = builtins.sum(d["units"] for d in seeded.product_sales.find({"product_id": "p-mango"}))
    assert (units, sales(seeded)) == (2, 2)
