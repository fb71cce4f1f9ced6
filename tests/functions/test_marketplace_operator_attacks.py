"""Marketplace mode misused by operators and attackers (found by a hostile review of issue
30, each once a failing test): a product moved to a merchant that may not sell, a save that
omits a suspended merchant's status, a catalogue reload over the commission cap, a direct
prepay handed out after the switch to marketplace, split totals past the first thousand,
sub-merchant numbers shown to customer service."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from retail.common.errors import InvalidArgument
from retail.common.settings import reset_settings

from .harness import as_operator, call, place
from .test_marketplace_payments import SUB_MCHIDS, onboard
from .test_marketplace_payments import shop as shop  # the marketplace fixture

MANGO_PRODUCT = "p-mango"


def _entry(db, product_id):
    """product_save's payload for an existing product, as it stands."""
    product = db.products.find_one({"_id": product_id})
    skus = [db.skus.find_one({"_id": s}) for s in product["sku_ids"]]
    return {
        "product_id": product_id,
        "merchant_id": product["merchant_id"],
        "category_id": product["category_id"],
        "title": product["title"],
        "skus": [{"sku_id": s["_id"], "price": s["price"], "stock": 0} for s in skus],
    }


def test_a_product_moved_to_a_merchant_that_may_not_sell_goes_off_sale(shop):
    """0025: 'a merchant saved into a state that may not sell has its products taken off
    sale ... a new product of such a merchant starts off sale'. An admin's product_save that
    moves an ON_SALE product to a suspended merchant keeps it ON_SALE (write_product sets
    status only on insert): the suspended merchant now has goods on sale."""
    suspended = {"merchant_id": "m-dianfeng", "name": "滇峰", "commission_rate_bp": 500}
    assert as_operator("merchant_save", {**suspended, "status": "SUSPENDED"})["code"] == "OK"
    assert shop.products.find_one({"_id": MANGO_PRODUCT})["status"] == "ON_SALE"
    moved = as_operator(
        "product_save", {**_entry(shop, MANGO_PRODUCT), "merchant_id": "m-dianfeng"}
    )
    assert moved["code"] == "OK", moved
    on_sale = shop.products.count_documents({"merchant_id": "m-dianfeng", "status": "ON_SALE"})
    assert on_sale == 0, "a suspended merchant has goods on sale"


def test_a_save_that_omits_status_does_not_lift_a_suspension(shop):
    """SaveMerchant.status defaults to ACTIVE while own/sub_mchid are 'left as it is when not
    given': renaming a suspended merchant silently reinstates it (it can be paid again)."""
    merchant = {"merchant_id": "m-dianfeng", "name": "滇峰", "commission_rate_bp": 500}
    assert as_operator("merchant_save", {**merchant, "status": "SUSPENDED"})["code"] == "OK"
    renamed = as_operator("merchant_save", {**merchant, "name": "滇峰茶业"})
    assert renamed["code"] == "OK"
    assert shop.merchants.find_one({"_id": "m-dianfeng"})["status"] == "SUSPENDED"


def test_a_catalogue_reload_cannot_set_a_commission_marketplace_mode_refuses(shop, demo_catalog):
    """merchant_save refuses a commission above 3000 bp in marketplace mode (profit sharing
    cannot take it); scripts/seed.py (load_catalog) writes the same merchant's 5000 bp."""
    from retail.catalog import load_catalog

    refused = as_operator(
        "merchant_save", {"merchant_id": "m-huaxia", "name": "花夏", "commission_rate_bp": 5000}
    )
    assert refused["code"] == "INVALID_ARGUMENT"
    catalog = demo_catalog
    for m in catalog["merchants"]:
        if m["merchant_id"] == "m-huaxia":
            m["commission_rate_bp"] = 5000
    with pytest.raises(InvalidArgument) as refused:  # the whole file, nothing written
        load_catalog(catalog, shop)
    assert refused.value.details["path"].endswith("commission_rate_bp")
    assert shop.merchants.find_one({"_id": "m-huaxia"})["commission_rate_bp"] <= 3000


def test_a_direct_prepay_is_not_handed_out_after_the_switch_to_marketplace(
    seeded, monkeypatch, fresh_sandbox
):
    """An order prepaid in direct mode (into the shop's own account) less than two hours
    before the switch: payment_prepay in marketplace mode reuses the direct prepay_id (the
    reuse path skips the mode entirely), so the buyer pays the platform's account in the mode
    whose point is that it never holds a buyer's money (and, live, the paySign is the
    platform's key over another merchant's prepay_id)."""
    order = place("r33-switch-0001")["data"]
    first = call("payment_prepay", {"order_id": order["order_id"]})
    assert first["code"] == "OK", first
    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "marketplace")
    reset_settings()
    onboard(seeded)
    again = call("payment_prepay", {"order_id": order["order_id"]})
    stored = seeded.orders.find_one({"_id": order["order_id"]})
    assert again["code"] != "OK" or stored.get("sub_orders"), (
        "marketplace mode handed out the direct prepay",
        again["data"]["package"],
        first["data"]["package"],
    )


def test_split_list_totals_cover_every_split_of_the_statement(shop):
    """split_list reads at most 1000 splits and sums `moved` and `pending` over those only:
    a statement with more sales under-reports what WeChat Pay moved, silently."""
    statement = "m-huaxia:2026-12-01"
    shop.statements.insert_one(
        {"_id": statement, "merchant_id": "m-huaxia", "day": "2026-12-01", "commission": 1001}
    )
    now = datetime.now(timezone.utc)
    shop.profit_shares.insert_many(
        {
            "_id": f"o{n:05d}S1",
            "order_id": f"o{n:05d}",
            "merchant_id": "m-huaxia",
            "statement_id": statement,
            "sub_mchid": SUB_MCHIDS["m-huaxia"],
            "state": "FINISHED",
            "commission": 1,
            "receivers": [{"amount": 1, "result": "SUCCESS"}],
            "updated_at": now,
        }
        for n in range(1001)
    )
    page = as_operator("split_list", {"statement_id": statement})
    assert page["code"] == "OK", page
    assert page["data"]["moved"] == 1001, page["data"]["moved"]


def test_customer_service_does_not_see_the_merchants_sub_merchant_numbers(shop):
    """merchant_list admits `service` (it only needs names) and answers every merchant's
    payee: its WeChat Pay sub_mchid and WeChat Pay's state of it."""
    listed = as_operator("merchant_list", {}, "service")
    assert listed["code"] == "OK", listed
    assert all(m.get("payee") is None for m in listed["data"]["merchants"]), [
        m["payee"] for m in listed["data"]["merchants"]
    ]
