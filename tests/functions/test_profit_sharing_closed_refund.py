"""A parcel refund after the split closed and asked again, then the whole order refunded:
the subsidy returns with the new refund, the commission once (held under a second hostile
review of issue 30)."""

from __future__ import annotations

from retail.common.clock import day_of
from retail_dev import wechatpay_sandbox as sandbox

from .harness import as_operator, call
from .test_marketplace_payments import MANGO, deliver_to, sent
from .test_marketplace_payments import shop as shop
from .test_profit_sharing import back_to_now as back_to_now
from .test_profit_sharing import discounted, later, run, settle


def test_parcel_closed_and_asked_again_then_whole_after_the_split(shop):
    order = discounted(shop, "r31-held-0001")
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    run()
    asked = call("refund_request", {"order_id": order["_id"], "reason": "x", "merchant_id": MANGO})
    assert asked["code"] == "OK"
    assert as_operator("refund_review", {"order_id": order["_id"], "approve": True})["code"] == "OK"
    (first,) = sent(shop, "/v3/ecommerce/refunds/apply")
    assert sandbox.complete_refund(
        first["out_refund_no"], "CLOSED", send=deliver_to("refund_notify")
    ) == [200]
    later(8.1)
    run()
    again = shop.refunds.find_one({"_id": first["out_refund_no"] + "-2"})
    assert again and again["refund_id"]
    (sub_back,) = sent(shop, "/v3/ecommerce/subsidies/return")
    assert sub_back["refund_id"] == again["refund_id"]
    sandbox.complete_refund(again["_id"], send=deliver_to("refund_notify"))
    # then the rest of the order
    assert call("refund_request", {"order_id": order["_id"], "reason": "all"})["code"] == "OK"
    assert as_operator("refund_review", {"order_id": order["_id"], "approve": True})["code"] == "OK"
    for r in shop.sandbox_wechatpay.find({"kind": "refund", "status": "PROCESSING"}):
        sandbox.complete_refund(r["out_refund_no"], send=deliver_to("refund_notify"))
    for step in range(4):
        later(8.3 + step)
        run()
    assert shop.orders.find_one({"_id": order["_id"]})["status"] == "REFUNDED"
    for share in shop.profit_shares.find({}):
        split = shop.sandbox_wechatpay.find_one({"_id": f"split:{share['out_order_no']}"})
        took = sum(r["amount"] for r in split["receivers"])
        back = sum(
            r["amount"]
            for r in shop.sandbox_wechatpay.find(
                {"kind": "return", "out_order_no": share["out_order_no"]}
            )
        )
        assert took == back, share
        assert share["state"] in ("GIVEN_BACK", "FINISHED"), share
    returns = sent(shop, "/v3/ecommerce/subsidies/return")
    assert sum(r["amount"] for r in returns) == sum(s["subsidy"] for s in order["sub_orders"])
    assert "sharing_due" not in shop.orders.find_one({"_id": order["_id"]})
