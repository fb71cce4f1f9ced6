"""A catalogue file is validated whole; a bad one names its offending path and writes nothing."""

from __future__ import annotations

import copy

import pytest

from retail.catalog import load_catalog
from retail.common.errors import InvalidArgument


def _broken(demo, mutate):
    data = copy.deepcopy(demo)
    mutate(data)
    return data


CASES = [
    (lambda d: d["products"][3]["skus"][0].update(price="12.5"), "products[3].skus[0].price"),
    (lambda d: d["products"][0].pop("product_id"), "products[0].product_id"),
    (lambda d: d["products"][2].update(category_id="nope"), "products[2].category_id"),
    (lambda d: d["stores"].append(dict(d["stores"][0])), "stores[4].store_id"),
    (
        lambda d: d["products"][1]["skus"][0].update(store_stock={"s-ghost": 1}),
        "products[1].skus[0].store_stock",
    ),
    (
        lambda d: d["merchants"][0].update(commission_rate_bp=20_000),
        "merchants[0].commission_rate_bp",
    ),
    (lambda d: d.update(prodcts=d.pop("products")), "prodcts"),  # a misspelt section
]


@pytest.mark.parametrize(("mutate", "path"), CASES, ids=[p for _, p in CASES])
def test_bad_file_names_the_path_and_writes_nothing(db, demo_catalog, mutate, path):
    with pytest.raises(InvalidArgument) as refused:
        load_catalog(_broken(demo_catalog, mutate), db)
    assert path in refused.value.message
    assert sum(db[name].count_documents({}) for name in db.list_collection_names()) == 0


def test_loading_twice_is_idempotent_and_keeps_moved_stock(db, demo_catalog):
    counts = load_catalog(demo_catalog, db)
    assert counts["products"] >= 30 and counts["stores"] >= 3
    db.stock.update_one({"_id": "p-mango-1@central"}, {"$inc": {"available": -5, "sold": 5}})
    before = {c: list(db[c].find({}, {"created_at": 0})) for c in db.list_collection_names()}
    load_catalog(demo_catalog, db)
    after = {c: list(db[c].find({}, {"created_at": 0})) for c in db.list_collection_names()}
    assert after == before
    assert db.stock.find_one({"_id": "p-mango-1@central"})["available"] == 195


def test_extra_fields_are_kept(db, demo_catalog):
    load_catalog(demo_catalog, db)
    assert db.products.find_one({"_id": "p-mango"})["image"].endswith("p-mango.jpg")
