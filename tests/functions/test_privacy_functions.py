"""user_export and user_delete: all of a user's data out; erasure leaves nothing personal
readable, keeps the financial records, and settlement totals do not move."""

from __future__ import annotations

import json
from datetime import timedelta

from retail.common.clock import SHANGHAI, travel, utcnow
from retail.orders import mark_paid
from retail.settlement import SettleDay, run_settlement
from retail.settlement.ledger import commission_on

from ..conftest import shop_collections
from .harness import call, finish_erasures, handler, sample

PERSONAL = (
    "o-test-user",
    "13800001111",
    "张三",
    "翠湖北路7号3栋",
    "芒果甜得像初恋",
    "客服态度很好",
)


def _everything(db) -> str:
    return json.dumps(
        {c: list(db[c].find({})) for c in shop_collections(db)},
        ensure_ascii=False,
        default=str,
    )


def _life(db):
    call("user_login", {})
    call("cart_update", {"sku_id": "p-eggs-1", "qty": 2})
    call("coupon_claim", {"template_id": "c-new-user"})
    call("share_create", {"product_id": "p-mango"})
    call("subscribe_accept", {"accepted": ["tmpl-1"]})
    data = sample("order_place")
    data["address"]["detailInfo"] = "翠湖北路7号3栋"
    order = call("order_place", {**data, "idempotency_key": "privacy-0001"})["data"]
    mark_paid(db, order["order_id"], "TX-privacy", order["total"])
    context = {"RETAIL_DEV_OPERATOR": "op:admin", "environment": "{}"}
    handler("order_ship")(
        {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF9999999"}, context
    )
    call("order_confirm", {"order_id": order["order_id"]})
    review = {"order_id": order["order_id"], "sku_id": "p-mango-1", "rating": 5}
    call("review_create", {**review, "text": "芒果甜得像初恋"})
    call("feedback_create", {"kind": "suggestion", "text": "客服态度很好"})
    call("survey_answer", {"order_id": order["order_id"], "score": 9})
    call("track", {"events": [{"type": "product_view", "product_id": "p-mango"}]})
    call("experiment_assign", {})
    return order


def _owed(db, order_id: str) -> dict[str, tuple[int, int]]:
    """Each merchant's gross and commission on the order, worked out from the order alone."""
    rates = {m["_id"]: m.get("commission_rate_bp", 0) for m in db.merchants.find({})}
    owed: dict[str, tuple[int, int]] = {}
    for line in db.orders.find_one({"_id": order_id})["lines"]:
        gross, fee = owed.get(line["merchant_id"], (0, 0))
        owed[line["merchant_id"]] = (
            gross + line["amount"],
            fee + commission_on(line["amount"], rates[line["merchant_id"]]),
        )
    return owed


def test_export_returns_the_callers_data_and_nothing_secret(seeded):
    order = _life(seeded)
    data = call("user_export", {})["data"]
    assert data["profile"]["_id"] == "o-test-user" and "session_key" not in json.dumps(data)
    assert [o["_id"] for o in data["orders"]] == [order["order_id"]]
    assert data["records"]["coupons"] and data["records"]["carts"] and data["records"]["shares"]
    assert data["records"]["points_ledger"][0]["delta"] == order["total"] // 100
    assert data["records"]["events"][0]["type"] == "product_view"
    assert data["records"]["reviews"][0]["text"] == "芒果甜得像初恋"
    assert data["records"]["tickets"] and data["records"]["nps"][0]["score"] == 9
    assert call("user_export", {}, openid="o-someone-else")["data"]["orders"] == []


def test_delete_leaves_nothing_personal_and_settlement_unchanged(seeded):
    order = _life(seeded)
    day = utcnow().astimezone(SHANGHAI).date()
    before = _owed(seeded, order["order_id"])
    assert all(item in _everything(seeded) for item in PERSONAL)
    assert call("user_delete", {"confirm": False})["data"]["erased"] is False
    erased = call("user_delete", {"confirm": True})["data"]
    assert call("user_me", {})["code"] == "NOT_FOUND"  # a tombstone until the timer's sweep
    assert finish_erasures()["erasures_finished"] == 1
    assert erased == {"erased": True, "orders_kept_anonymised": 1}
    everything = _everything(seeded)
    assert [item for item in PERSONAL if item in everything] == []
    kept = seeded.orders.find_one({"_id": order["order_id"]})
    assert kept["total"] == order["total"] and kept["transaction_id"] == "TX-privacy"
    travel(timedelta(days=1, hours=3))  # the day is over: settle it, after the erasure
    try:
        run_settlement(SettleDay(day=day), db=seeded)
    finally:
        travel(timedelta(0))
    settled = seeded.statements.find({"day": day.isoformat(), "gross": {"$gt": 0}})
    assert {s["merchant_id"]: (s["gross"], s["commission"]) for s in settled} == before
    assert call("user_me", {})["code"] == "NOT_FOUND"
    rating = seeded.products.find_one({"_id": "p-mango"})["rating"]
    assert rating == {"count": 1, "sum": 5}  # the review's score still counts, its words do not
    assert seeded.nps.find_one({})["score"] == 9
