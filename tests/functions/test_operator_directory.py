"""What the console looks things up by: merchants and coupon templates by name, and one order
whole (lines, money, parcels, timeline, refunds, audit), a merchant's share for a merchant."""

from __future__ import annotations

from .harness import as_operator, call, paid_order


def test_merchants_are_listed_by_name_and_a_merchant_sees_itself(seeded):
    everyone = as_operator("merchant_list", {})["data"]["merchants"]
    assert {m["merchant_id"]: m["name"] for m in everyone}["m-self"] == "春城鲜生自营"
    assert [m["own"] for m in everyone if m["merchant_id"] == "m-self"] == [True]
    itself = as_operator("merchant_list", {}, "merchant:m-huaxia")["data"]["merchants"]
    assert [m["merchant_id"] for m in itself] == ["m-huaxia"]
    assert len(as_operator("merchant_list", {}, "service")["data"]["merchants"]) == 3


def test_coupon_templates_are_listed_with_what_was_claimed(seeded):
    assert call("coupon_claim", {"template_id": "c-new-user"}, "o-claimer")["code"] == "OK"
    listed = as_operator("coupon_template_list", {})["data"]["templates"]
    claimed = {t["template_id"]: t["claimed"] for t in listed}
    assert claimed["c-new-user"] == 1 and len(listed) == 3
    assert as_operator("coupon_template_list", {}, "merchant:m-self")["code"] == "FORBIDDEN"


def test_an_order_is_inspected_whole_and_a_merchant_sees_its_share(seeded):
    order = paid_order("inspect-0001")
    call(
        "refund_request",
        {"order_id": order["order_id"], "merchant_id": "m-self", "reason": "不要了"},
    )
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": "SF40000001"}
    assert as_operator("order_ship", ship, "merchant:m-huaxia")["code"] == "OK"
    whole = as_operator("order_inspect", {"order_id": order["order_id"]})["data"]
    assert len(whole["order"]["lines"]) == 2 and whole["order"]["total"] == order["total"]
    assert [r["merchant_id"] for r in whole["refunds"]] == ["m-self"]
    assert [a["action"] for a in whole["audit"]]  # the shipping, as the audit log has it
    assert [t["status"] for t in whole["order"]["timeline"]][:2] == ["RESERVING", "PENDING_PAYMENT"]
    assert "13800001111" not in str(whole)  # masked
    share = as_operator("order_inspect", {"order_id": order["order_id"]}, "merchant:m-huaxia")
    view = share["data"]
    assert {ln["merchant_id"] for ln in view["order"]["lines"]} == {"m-huaxia"}
    assert view["order"]["total"] == 2 * 2990 and view["refunds"] == []
    other = as_operator("order_inspect", {"order_id": order["order_id"]}, "merchant:m-dianfeng")
    assert other["code"] == "NOT_FOUND"
