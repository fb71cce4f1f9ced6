"""The two payment modes (docs/decisions/0025): which merchants may sell, and how merchant_save
learns a merchant's 二级商户 from WeChat Pay itself before any money is sent there."""

from __future__ import annotations

from typing import Any

import pytest

from retail.common.settings import reset_settings
from retail_dev.wechatpay_marketplace import register_application

from ..conftest import business_state
from .harness import as_operator, call, sample

HUAXIA = {"merchant_id": "m-huaxia", "name": "花夏鲜花蔬果合作社", "commission_rate_bp": 500}


def shop_state(db: Any) -> dict[str, Any]:
    """The business documents, without the local WeChat Pay's own records."""
    return {k: v for k, v in business_state(db).items() if not k.startswith("sandbox_")}


def on_sale(db: Any, merchant_id: str) -> int:
    return db.products.count_documents({"merchant_id": merchant_id, "status": "ON_SALE"})


def wechat_pay_calls(db: Any, prefix: str) -> list[dict[str, Any]]:
    return [c for c in db.sandbox_platform_calls.find({}) if c["path"].startswith(prefix)]


@pytest.fixture
def marketplace(seeded, monkeypatch, fresh_sandbox):
    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "marketplace")
    reset_settings()
    return seeded


def test_a_marketplace_merchant_sells_once_wechat_pay_pays_its_own_account(marketplace):
    db = marketplace
    assert on_sale(db, "m-huaxia") == 11  # loaded before the shop chose marketplace mode
    saved = as_operator("merchant_save", HUAXIA)
    assert saved["code"] == "OK", saved
    assert saved["data"]["taken_off_sale"] == 11 and "sub_mchid" in saved["data"]["sale_refusal"]
    assert on_sale(db, "m-huaxia") == 0
    refused = as_operator("product_publish", {"product_id": "p-mango", "on_sale": True})
    assert refused["code"] == "CONFLICT"
    assert refused["details"]["reason"] == "MERCHANT_NOT_PAYABLE"
    assert call("catalog_product", {"product_id": "p-mango"})["code"] == "NOT_FOUND"

    saved = as_operator("merchant_save", {**HUAXIA, "sub_mchid": "1900000109"})
    assert saved["code"] == "OK", saved
    payee = saved["data"]["payee"]
    assert (payee["sub_mchid"], payee["state"], payee["wechatpay_state"]) == (
        "1900000109",
        "ACTIVE",
        "BALANCE_FOUND",
    )
    assert saved["data"]["sale_refusal"] is None
    (asked,) = wechat_pay_calls(db, "/v3/ecommerce/fund/balance/")
    assert asked["path"] == "/v3/ecommerce/fund/balance/1900000109" and asked["status"] == 200
    published = as_operator("product_publish", {"product_id": "p-mango", "on_sale": True})
    assert published["data"]["status"] == "ON_SALE"
    listed = as_operator("merchant_list", {})["data"]["merchants"]
    assert {m["merchant_id"]: (m["payee"] or {}).get("state") for m in listed}["m-huaxia"] == (
        "ACTIVE"
    )
    # a later save without the number keeps it: the merchant goes on selling
    assert as_operator("merchant_save", {**HUAXIA, "name": "花夏"})["data"]["sale_refusal"] is None


def test_a_sub_mchid_wechat_pay_does_not_know_as_ours_is_refused_and_nothing_is_written(
    marketplace,
):
    before = shop_state(marketplace)
    refused = as_operator("merchant_save", {**HUAXIA, "sub_mchid": "123456789"})
    assert refused["code"] == "INVALID_ARGUMENT", refused
    assert refused["details"]["path"] == "sub_mchid" and "NO_AUTH" in refused["message"]
    assert shop_state(marketplace) == before


def test_an_application_gives_its_state_and_its_number(marketplace):
    db = marketplace
    register_application("APPLY-HUAXIA-1", "AUDITING", None)
    early = as_operator("merchant_save", {**HUAXIA, "out_request_no": "APPLY-HUAXIA-1"})
    assert early["code"] == "INVALID_ARGUMENT" and "no sub_mchid yet" in early["message"]
    register_application("APPLY-HUAXIA-1", "NEED_SIGN", "1900000109")
    signing = as_operator("merchant_save", {**HUAXIA, "out_request_no": "APPLY-HUAXIA-1"})
    assert signing["data"]["payee"]["state"] == "APPLYING"
    assert signing["data"]["payee"]["sub_mchid"] == "1900000109"
    assert on_sale(db, "m-huaxia") == 0
    register_application("APPLY-HUAXIA-1", "FINISH", "1900000109")
    other = {**HUAXIA, "out_request_no": "APPLY-HUAXIA-1", "sub_mchid": "1900000999"}
    assert as_operator("merchant_save", other)["details"]["path"] == "sub_mchid"
    done = as_operator("merchant_save", {**HUAXIA, "out_request_no": "APPLY-HUAXIA-1"})
    assert (done["data"]["payee"]["state"], done["data"]["sale_refusal"]) == ("ACTIVE", None)
    kept = db.merchants.find_one({"_id": "m-huaxia"})["payee"]
    assert kept["out_request_no"] == "APPLY-HUAXIA-1" and kept["wechatpay_state"] == "FINISH"
    register_application("APPLY-HUAXIA-1", "FROZEN", "1900000109")
    frozen = as_operator("merchant_save", {**HUAXIA, "out_request_no": "APPLY-HUAXIA-1"})
    assert frozen["data"]["payee"]["state"] == "REFUSED"
    assert frozen["data"]["taken_off_sale"] == 0  # nothing was put back on sale meanwhile
    unknown = as_operator("merchant_save", {**HUAXIA, "out_request_no": "APPLY-NOBODY"})
    assert unknown["details"]["path"] == "out_request_no"


def test_profit_sharing_caps_a_marketplace_commission(marketplace, monkeypatch):
    high = {**HUAXIA, "commission_rate_bp": 3001, "sub_mchid": "1900000109"}
    refused = as_operator("merchant_save", high)
    assert refused["code"] == "INVALID_ARGUMENT"
    assert refused["details"]["path"] == "commission_rate_bp"
    assert as_operator("merchant_save", {**high, "commission_rate_bp": 3000})["code"] == "OK"
    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "direct")
    reset_settings()
    assert as_operator("merchant_save", {**HUAXIA, "commission_rate_bp": 5000})["code"] == "OK"


def test_a_new_product_of_a_merchant_that_may_not_sell_starts_off_sale(marketplace):
    assert as_operator("merchant_save", HUAXIA)["code"] == "OK"
    new = {**sample("product_save"), "merchant_id": "m-huaxia"}
    assert as_operator("product_save", new)["data"]["status"] == "OFF_SALE"


def test_direct_mode_in_dev_keeps_a_sub_mchid_unasked_and_sells(seeded):
    saved = as_operator("merchant_save", {**HUAXIA, "sub_mchid": "19"})
    assert saved["code"] == "INVALID_ARGUMENT"  # not a merchant number at all
    saved = as_operator("merchant_save", {**HUAXIA, "sub_mchid": "1900000109"})
    assert saved["data"]["payee"]["state"] == "UNCHECKED"
    assert saved["data"]["sale_refusal"] is None and on_sale(seeded, "m-huaxia") == 11
    assert wechat_pay_calls(seeded, "/v3/") == []


def test_direct_mode_in_production_sells_only_the_platforms_own_goods(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_ENV", "prod")
    monkeypatch.setenv("RETAIL_SESSION_SECRET", "s" * 32)
    reset_settings()
    from retail.catalog import publish_product
    from retail.catalog.back_office import PublishProduct
    from retail.common.errors import Conflict
    from retail.common.operator import Operator

    admin = Operator("op1", "admin")
    with pytest.raises(Conflict) as refused:
        publish_product(PublishProduct(product_id="p-mango", on_sale=True), operator=admin)
    assert "二清" in str(refused.value)
    own = seeded.products.find_one({"merchant_id": "m-self"})["_id"]
    shown = publish_product(PublishProduct(product_id=own, on_sale=True), operator=admin)
    assert shown.status == "ON_SALE"


def test_a_suspended_merchant_sells_nothing(seeded):
    saved = as_operator("merchant_save", {**HUAXIA, "status": "SUSPENDED"})
    assert saved["data"]["taken_off_sale"] == 11 and on_sale(seeded, "m-huaxia") == 0
    audited = seeded.audit_log.count_documents({"action": "product_publish"})
    assert audited == 11


def test_a_catalogue_file_cannot_name_a_payee(seeded, demo_catalog):
    from retail.catalog import load_catalog
    from retail.common.errors import InvalidArgument

    forged = {**demo_catalog}
    forged["merchants"] = [
        {**m, "payee": {"sub_mchid": "1900000109", "state": "ACTIVE"}}
        for m in demo_catalog["merchants"]
    ]
    with pytest.raises(InvalidArgument) as refused:
        load_catalog(forged, seeded)
    assert "payee" in str(refused.value)
