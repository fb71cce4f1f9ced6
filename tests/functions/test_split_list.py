"""split_list: what WeChat Pay moved for a statement's sales, beside what it computed; a
merchant sees only its own statements."""

from __future__ import annotations

from decimal import Decimal

from retail.common.clock import day_of

from .harness import as_operator, handler, sample
from .test_marketplace_payments import MANGO
from .test_marketplace_payments import shop as shop  # the marketplace fixture
from .test_profit_sharing import back_to_now as back_to_now  # autouse
from .test_profit_sharing import completed, discounted, later, run, settle


def test_a_statement_shows_the_commission_wechat_pay_moved_beside_its_own(shop):
    first = completed(shop, "split-list-0001")
    second = discounted(shop, "split-list-0002")
    day = day_of(first["completed_at"]).isoformat()
    later(8)
    settle(day)
    statement = f"{MANGO}:{day}"
    before = as_operator("split_list", {"statement_id": statement})["data"]
    computed = shop.statements.find_one({"_id": statement})["commission"]
    assert (before["computed"], before["moved"], before["splits"]) == (computed, 0, [])
    assert before["payment_mode"] == "marketplace"
    run()
    page = as_operator("split_list", {"statement_id": statement}, f"merchant:{MANGO}")["data"]
    assert page["computed"] == computed == page["moved"] > 0 and page["pending"] == 0
    assert {s["order_id"] for s in page["splits"]} == {first["_id"], second["_id"]}
    assert all(s["state"] == "FINISHED" and s["released"] > 0 for s in page["splits"])
    (subsidised,) = [s for s in page["splits"] if s["order_id"] == second["_id"]]
    assert subsidised["subsidy"] > 0


def test_a_merchant_sees_only_its_own_statements(shop):
    order = completed(shop, "split-list-0003")
    day = day_of(order["completed_at"]).isoformat()
    later(8)
    settle(day)
    other = as_operator("split_list", {"statement_id": f"{MANGO}:{day}"}, "merchant:m-self")
    assert other["code"] == "NOT_FOUND"
    missing = as_operator("split_list", {"statement_id": f"{MANGO}:2001-01-01"})
    assert missing["code"] == "NOT_FOUND"
    assert as_operator("split_list", {"statement_id": "x"})["code"] == "INVALID_ARGUMENT"


def test_a_statement_shows_the_fee_wechat_pay_charged_on_each_sale(shop):
    order = completed(shop, "split-list-0004")
    day = day_of(order["completed_at"]).isoformat()
    bills = handler("bill_reconcile")
    assert bills(sample("bill_reconcile"), {})["code"] == "OK"  # from yesterday's bill on
    later(8)
    settle(day)
    run()
    statement = {"statement_id": f"{MANGO}:{day}"}
    unread = as_operator("split_list", statement)["data"]
    assert unread["fees"] == "0.00000" and [s["fee"] for s in unread["splits"]] == [None]
    assert bills(sample("bill_reconcile"), {})["data"]["mismatches"] == 0
    page = as_operator("split_list", statement, f"merchant:{MANGO}")["data"]
    (sub,) = [s for s in order["sub_orders"] if s["merchant_id"] == MANGO]
    charged = (Decimal(sub["amount"]) / 100 * Decimal("0.006")).quantize(Decimal("0.00001"))
    assert [s["fee"] for s in page["splits"]] == [f"{charged:.5f}"] == [page["fees"]]
