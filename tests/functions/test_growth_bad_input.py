"""Every growth function answers bad input with a typed error and writes nothing."""

from __future__ import annotations

import json

import pytest

from ..conftest import business_state
from .harness import call, handler

CASES = [
    ("coupon_claim", {}),
    ("coupon_claim", {"template_id": {"$gt": ""}}),
    ("coupon_claim", {"template_id": "c-new-user", "extra": 1}),
    ("coupon_list", {"status": "MAYBE"}),
    ("share_create", {"product_id": 12}),
    ("share_create", {"product_id": "p-mango", "inviter": "o-someone-else"}),
    ("share_reward", {"share_code": "lowercase-not-allowed"}),
    ("share_reward", {"share_code": "A" * 33}),
    ("share_reward", {}),
    ("subscribe_accept", {"accepted": "winback-tmpl-1"}),
    ("subscribe_accept", {"accepted": ["a", "b", "c", "d"]}),
    ("group_get", {"group_id": {"$ne": None}}),
    (
        "order_place",
        {
            "items": [{"sku_id": "p-honey-1", "qty": 1}],
            "idempotency_key": "bad-key-0001",
            "delivery": "pickup",
            "store_id": "s-nanping",
            "group": {"deal_id": "g-honey-3", "group_id": "lower-case"},
        },
    ),
    (
        "order_preview",
        {
            "items": [{"sku_id": "p-eggs-1", "qty": 1}],
            "delivery": "pickup",
            "store_id": "s-nanping",
            "points": -5,
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "data"), CASES, ids=[f"{n}:{json.dumps(d)[:40]}" for n, d in CASES]
)
def test_bad_input_is_invalid_argument_and_writes_nothing(seeded, name, data):
    before = business_state(seeded)
    answer = call(name, data)
    assert answer["code"] == "INVALID_ARGUMENT", answer
    assert business_state(seeded) == before


def test_operator_only_views_refuse_users_and_other_roles(seeded):
    assert call("commission_list", {})["code"] == "UNAUTHENTICATED"
    context = {"RETAIL_DEV_OPERATOR": "op:service", "environment": "{}"}
    assert handler("commission_list")({}, context)["code"] == "FORBIDDEN"
    bad = handler("commission_list")(
        {"limit": 0}, {"RETAIL_DEV_OPERATOR": "op:admin", "environment": "{}"}
    )
    assert bad["code"] == "INVALID_ARGUMENT"
