"""Authorization for every function: a buyer never reaches another buyer's records (their
ids answer NOT_FOUND, as if they did not exist), and every operator function refuses
buyers and the roles it does not serve. The role table below is the specification: a new
operator function fails this test until it is added."""

from __future__ import annotations

from pathlib import Path

import pytest

from retail.orders import mark_paid

from .harness import call, cloudbase_context, handler, sample

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/index.py"))
ROLES = {
    "ad_report": {"admin", "merchant"},
    "ad_slot_save": {"admin"},
    "analytics_active": {"admin"},
    "analytics_channels": {"admin"},
    "analytics_funnel": {"admin", "merchant"},
    "analytics_retention": {"admin"},
    "analytics_sales": {"admin", "merchant"},
    "analytics_segments": {"admin", "merchant"},
    "experiment_results": {"admin"},
    "feedback_queue": {"admin", "service"},
    "feedback_update": {"admin", "service"},
    "review_moderate": {"admin", "service", "merchant"},
    "review_queue": {"admin", "service"},
    "withdrawal_queue": {"admin"},
    "commission_report": {"admin"},
    "withdrawal_review": {"admin"},
    "survey_report": {"admin", "service"},
    "experiment_save": {"admin"},
    "flag_save": {"admin"},
    "blacklist_update": {"admin"},
    "commission_list": {"admin"},
    "courier_list": {"admin", "merchant"},
    "coupon_template_save": {"admin"},
    "merchant_save": {"admin"},
    "merchant_list": {"admin", "service", "merchant"},
    "coupon_template_list": {"admin"},
    "experiment_list": {"admin"},
    "order_inspect": {"admin", "service", "merchant"},
    "metrics_show": {"admin"},
    "order_pickup_verify": {"admin", "service", "merchant"},
    "order_search": {"admin", "service", "merchant"},
    "order_ship": {"admin", "merchant"},
    "product_publish": {"admin", "merchant"},
    "product_save": {"admin", "merchant"},
    "refund_review": {"admin", "service"},
    "risk_queue": {"admin", "service"},
    "risk_review": {"admin", "service"},
    "statement_list": {"admin", "merchant"},
    "split_list": {"admin", "merchant"},
    "stock_adjust": {"admin", "merchant"},
    "stock_split": {"admin", "merchant"},
}

OPERATOR_FUNCTIONS = [n for n in FUNCTIONS if handler(n).auth == "operator"]
ORDER_FUNCTIONS = [
    n
    for n in FUNCTIONS
    if handler(n).auth == "user" and "order_id" in handler(n).request_model.model_fields
]


def as_role(name, role):
    context = {"RETAIL_DEV_OPERATOR": f"op-x:{role}", "environment": "{}"}
    return handler(name)(sample(name), context)


def test_the_role_table_covers_every_operator_function():
    assert set(OPERATOR_FUNCTIONS) == set(ROLES)


@pytest.mark.parametrize("name", OPERATOR_FUNCTIONS)
def test_operator_functions_refuse_buyers_and_other_roles(seeded, name):
    assert handler(name)(sample(name), cloudbase_context("o-buyer"))["code"] == "UNAUTHENTICATED"
    merchant = sample(name).get("merchant_id", "m-self")  # the merchant whose record it is
    for base, role in (
        ("admin", "admin"),
        ("service", "service"),
        ("merchant", f"merchant:{merchant}"),
    ):
        code = as_role(name, role)["code"]
        if base in ROLES[name]:
            assert code not in ("FORBIDDEN", "UNAUTHENTICATED"), (name, role, code)
        else:
            assert code == "FORBIDDEN", (name, role, code)


def test_the_order_functions_are_the_expected_ones():
    assert set(ORDER_FUNCTIONS) == {
        "feedback_create",
        "order_cancel",
        "order_confirm",
        "order_get",
        "payment_prepay",
        "refund_request",
        "review_create",
        "survey_answer",
    }


@pytest.mark.parametrize("name", ORDER_FUNCTIONS)
@pytest.mark.parametrize("paid", [False, True])
def test_another_buyers_order_id_is_not_found(seeded, name, paid):
    order = call("order_place", {**sample("order_place"), "idempotency_key": "owned-0001"})
    order_id = order["data"]["order_id"]
    if paid:
        mark_paid(seeded, order_id, "TX-owned", order["data"]["total"])
    before = seeded.orders.find_one({"_id": order_id})
    answer = call(name, {**sample(name), "order_id": order_id}, openid="o-intruder")
    assert answer["code"] == "NOT_FOUND", (name, answer)
    assert seeded.orders.find_one({"_id": order_id}) == before


def test_another_buyers_coupon_cannot_be_used(seeded):
    mine = call("coupon_claim", {"template_id": "c-new-user"})["data"]["coupon_id"]
    data = {**sample("order_place"), "coupon_id": mine}
    del data["idempotency_key"]
    assert call("order_preview", data, openid="o-intruder")["code"] == "NOT_FOUND"
    placed = call("order_place", {**data, "idempotency_key": "stolen-0001"}, openid="o-intruder")
    assert placed["code"] == "NOT_FOUND"
    assert seeded.coupons.find_one({"_id": mine})["status"] == "AVAILABLE"
