"""A hostile merchant's catalogue: selling the platform's membership, keeping a removed SKU on
sale, and SKU fields that would be Mongo operators, paths or values no store holds. Each attack
goes through product_save (or the catalogue file) and is refused or harmless."""

from __future__ import annotations

import pytest

from retail.catalog import load_catalog
from retail.common.errors import InvalidArgument

from ..conftest import business_state
from .harness import as_operator, call, sample

TEA = {
    "product_id": "p-tea",
    "merchant_id": "m-huaxia",
    "category_id": "yunnan",
    "title": "滇红",
    "skus": [
        {"sku_id": "p-tea-typo", "price": 1, "stock": 500},
        {"sku_id": "p-tea-ok", "price": 6800, "stock": 40},
    ],
}
CARD = {**TEA, "product_id": "p-card", "title": "十年会员", "membership": {"days": 3660}}


def _card(merchant_id: str) -> dict:
    skus = [{"sku_id": f"p-card-{merchant_id}", "price": 1, "stock": 100}]
    return {**CARD, "merchant_id": merchant_id, "skus": skus}


def test_a_merchant_cannot_sell_the_platforms_membership(seeded):
    before = business_state(seeded)
    refused = as_operator("product_save", _card("m-huaxia"), "merchant:m-huaxia")
    assert refused["code"] == "FORBIDDEN" and refused["details"]["reason"] == "PLATFORM_ONLY"
    # Not even an admin puts a membership under a merchant that is not the platform's own.
    assert as_operator("product_save", _card("m-huaxia"), "admin")["code"] == "FORBIDDEN"
    assert business_state(seeded) == before
    assert as_operator("product_save", _card("m-self"), "admin")["code"] == "OK"
    # A merchant cannot turn an ordinary product of its own into a membership later either.
    assert as_operator("product_save", TEA, "merchant:m-huaxia")["code"] == "OK"
    turned = {**TEA, "membership": {"days": 30}}
    assert as_operator("product_save", turned, "merchant:m-huaxia")["code"] == "FORBIDDEN"
    assert seeded.products.find_one({"_id": "p-tea"})["membership"] is None


def test_a_catalogue_file_puts_memberships_only_under_an_own_merchant(db, demo_catalog):
    card = next(p for p in demo_catalog["products"] if p.get("membership"))
    card["merchant_id"] = "m-huaxia"
    with pytest.raises(InvalidArgument, match="membership"):
        load_catalog(demo_catalog, db)
    assert db.products.count_documents({}) == 0


def test_a_sku_left_out_of_its_product_is_retired_not_sold(seeded):
    assert as_operator("product_save", TEA, "merchant:m-huaxia")["code"] == "OK"
    call("cart_update", {"sku_id": "p-tea-typo", "qty": 2}, openid="o-cart")
    kept = {**TEA, "skus": [TEA["skus"][1]]}
    assert as_operator("product_save", kept, "merchant:m-huaxia")["code"] == "OK"

    order = {
        **sample("order_place"),
        "items": [{"sku_id": "p-tea-typo", "qty": 50}],
        "idempotency_key": "typo-0001",
    }
    placed = call("order_place", order, openid="o-typo")
    assert placed["code"] == "NOT_FOUND" and placed["details"]["sku_id"] == "p-tea-typo"
    assert seeded.orders.count_documents({"openid": "o-typo"}) == 0
    assert call("cart_update", {"sku_id": "p-tea-typo", "qty": 1})["code"] == "NOT_FOUND"
    line = call("cart_list", {}, openid="o-cart")["data"]["items"][0]
    assert line["sku_id"] == "p-tea-typo" and line["available"] is False
    shopper = call("catalog_product", {"product_id": "p-tea"})["data"]
    assert [s["sku_id"] for s in shopper["skus"]] == ["p-tea-ok"]
    assert shopper["retired_skus"] == []

    level = seeded.stock.find_one({"_id": "p-tea-typo@central"})
    assert level["available"] == 0 and level["adjusted"] == 500
    audit = seeded.audit_log.find_one({"target": "p-tea-typo@central"})
    assert audit["action"] == "stock_adjust: SKU retired" and audit["operator_id"] == "op1"
    assert audit["before"]["available"] == 500 and audit["after"]["available"] == 0
    console = as_operator("catalog_product", {"product_id": "p-tea"}, "merchant:m-huaxia")
    assert [s["sku_id"] for s in console["data"]["retired_skus"]] == ["p-tea-typo"]
    rival = as_operator("catalog_product", {"product_id": "p-tea"}, "merchant:m-dianfeng")
    assert rival["data"]["retired_skus"] == []  # another merchant's catalogue history

    # Listed again, it is sold again, from the stock an operator receives (none is conjured).
    assert as_operator("product_save", TEA, "merchant:m-huaxia")["code"] == "OK"
    again = as_operator("catalog_product", {"product_id": "p-tea"}, "merchant:m-huaxia")["data"]
    assert again["retired_skus"] == [] and again["skus"][0]["stock"] == 0


def test_a_retired_sku_is_not_priced_by_a_preview_either(seeded):
    """The product's SKU list decides, whichever way the shopper arrives."""
    as_operator("product_save", TEA, "merchant:m-huaxia")
    as_operator("product_save", {**TEA, "skus": [TEA["skus"][1]]}, "merchant:m-huaxia")
    preview = call(
        "order_preview", {**sample("order_preview"), "items": [{"sku_id": "p-tea-typo", "qty": 1}]}
    )
    assert preview["code"] == "NOT_FOUND", preview


HOSTILE_SKU_FIELDS = [
    {"_id": "p-eggs-1"},
    {"$inc": {"available": 1}},
    {"a.b": 1},
    {"huge": 2**70},
    {"spec": "\ud800"},
    {"note": "\ud800"},
    {"product_id": "p-mango"},
    {"retired_at": None},
    {"stock_split": {"sold_out": {"central": "2099-01-01T00:00:00Z"}}},  # a rival's SKU unsellable
]


@pytest.mark.parametrize("extra", HOSTILE_SKU_FIELDS, ids=lambda e: next(iter(e)))
def test_a_sku_with_fields_of_its_own_is_refused_and_writes_nothing(seeded, extra):
    assert as_operator("product_save", TEA, "merchant:m-huaxia")["code"] == "OK"
    before = business_state(seeded)
    hostile = {**TEA, "skus": [{**TEA["skus"][1], **extra}, TEA["skus"][0]]}
    answer = as_operator("product_save", hostile, "merchant:m-huaxia")
    assert answer["code"] == "INVALID_ARGUMENT", answer
    assert business_state(seeded) == before
    assert call("catalog_product", {"product_id": "p-tea"})["code"] == "OK"


@pytest.mark.parametrize("extra", HOSTILE_SKU_FIELDS, ids=lambda e: next(iter(e)))
def test_a_catalogue_file_with_such_fields_is_refused_whole(db, demo_catalog, extra):
    demo_catalog["products"][3]["skus"][0].update(extra)
    with pytest.raises(InvalidArgument, match=r"products\[3\]\.skus\[0\]"):
        load_catalog(demo_catalog, db)
    assert db.products.count_documents({}) == 0


def test_a_catalogue_file_may_still_carry_plain_extra_fields(db, demo_catalog):
    demo_catalog["products"][0]["skus"][0]["origin"] = "云南 保山"
    demo_catalog["products"][0]["tags"] = ["新品", "产地直发"]
    load_catalog(demo_catalog, db)
    sku = db.skus.find_one({"_id": demo_catalog["products"][0]["skus"][0]["sku_id"]})
    assert sku["origin"] == "云南 保山"


@pytest.mark.parametrize(
    "store_stock",
    [{"s-nanping\ud800": 5}, {"$inc": 5}, {"a.b": 3}, {"no-such-store": 7}, {"central": 900}],
    ids=["surrogate", "operator", "path", "unknown", "central"],
)
def test_store_stock_names_real_stores_only_and_writes_nothing_else(seeded, store_stock):
    before = business_state(seeded)
    hostile = {**TEA, "skus": [{**TEA["skus"][1], "store_stock": store_stock}]}
    answer = as_operator("product_save", hostile, "merchant:m-huaxia")
    assert answer["code"] in ("INVALID_ARGUMENT", "NOT_FOUND"), answer
    assert business_state(seeded) == before


def test_a_sku_listed_twice_in_one_product_is_refused(seeded):
    """A 1-fen twin of a SKU would make the product's shown price a bait."""
    twins = {**TEA, "skus": [{**TEA["skus"][1], "price": 1}, TEA["skus"][1]]}
    answer = as_operator("product_save", twins, "merchant:m-huaxia")
    assert answer["code"] == "INVALID_ARGUMENT"
    assert seeded.products.find_one({"_id": "p-tea"}) is None


def test_an_experiment_payload_holds_plain_keys_and_valid_text(seeded):
    from .harness import sample

    for arm_payload in ({"title": "\ud800"}, {"$inc": "x"}, {"\ud800": "x"}):
        experiment = sample("experiment_save")
        experiment["arms"][0]["payload"] = arm_payload
        answer = as_operator("experiment_save", experiment)
        assert answer["code"] == "INVALID_ARGUMENT", (arm_payload, answer)


def test_a_sku_moved_to_another_product_in_a_catalogue_file_is_not_retired(db, demo_catalog):
    load_catalog(demo_catalog, db)
    eggs = next(p for p in demo_catalog["products"] if p["product_id"] == "p-eggs")
    chicken = next(p for p in demo_catalog["products"] if p["product_id"] == "p-chicken")
    moved = eggs["skus"].pop()
    chicken["skus"].append(moved)
    before = db.stock.find_one({"_id": f"{moved['sku_id']}@central"})["available"]
    load_catalog(demo_catalog, db)
    sku = db.skus.find_one({"_id": moved["sku_id"]})
    assert sku["product_id"] == "p-chicken" and "retired_at" not in sku
    assert db.stock.find_one({"_id": f"{moved['sku_id']}@central"})["available"] == before


def test_a_save_that_died_before_the_write_off_is_finished_by_the_next(seeded, monkeypatch):
    from retail.catalog import back_office

    assert as_operator("product_save", TEA, "merchant:m-huaxia")["code"] == "OK"
    kept = {**TEA, "skus": [TEA["skus"][1]]}
    with monkeypatch.context() as dying:
        dying.setattr(back_office, "write_off_retired", lambda *_: (_ for _ in ()).throw(OSError()))
        assert as_operator("product_save", kept, "merchant:m-huaxia")["code"] == "INTERNAL"
    assert seeded.stock.find_one({"_id": "p-tea-typo@central"})["available"] == 500
    assert as_operator("product_save", kept, "merchant:m-huaxia")["code"] == "OK"  # the retry
    assert seeded.stock.find_one({"_id": "p-tea-typo@central"})["available"] == 0
    assert seeded.audit_log.count_documents({"target": "p-tea-typo@central"}) == 1


@pytest.mark.parametrize(
    "extra", [{"sales": 10**6}, {"sales_base": 10**6}], ids=lambda e: next(iter(e))
)
def test_a_product_may_not_set_what_counts_its_sales(seeded, extra):
    """The sales figure (and its base, catalog/sales.py) is the store's own count."""
    answer = as_operator("product_save", {**TEA, **extra}, "merchant:m-huaxia")
    assert answer["code"] == "INVALID_ARGUMENT", answer
    assert seeded.products.find_one({"_id": "p-tea"}) is None
