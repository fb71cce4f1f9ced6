"""A cancelled subsidy is not cancelled again (found by a second hostile review of issue 30,
once a failing test): a finish refused once, or a cancel whose answer was lost, goes on to
the finish."""

from __future__ import annotations

from typing import Any

from retail.common.clock import day_of
from retail.payments import sharing_api
from retail_dev import wechatpay_sandbox as sandbox

from .harness import as_operator, call
from .test_marketplace_payments import MANGO, deliver_to, sent
from .test_marketplace_payments import shop as shop
from .test_profit_sharing import SHARING, discounted, later, run, settle
from .test_profit_sharing import back_to_now as back_to_now


def test_a_cancelled_subsidy_is_not_cancelled_again_after_a_refused_finish(shop, monkeypatch):
    order = discounted(shop, "r31-cancel-0001")
    (mango,) = [s for s in order["sub_orders"] if s["merchant_id"] == MANGO]
    asked = call(
        "refund_request", {"order_id": order["_id"], "reason": "烂了", "merchant_id": MANGO}
    )
    assert asked["code"] == "OK", asked
    assert as_operator("refund_review", {"order_id": order["_id"], "approve": True})["code"] == "OK"
    (refund,) = sent(shop, "/v3/ecommerce/refunds/apply")
    assert sandbox.complete_refund(refund["out_refund_no"], send=deliver_to("refund_notify")) == [
        200
    ]
    assert refund["amount"]["refund"] < mango["amount"], (refund["amount"], mango)  # freight stays
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    real_finish = sharing_api.finish
    monkeypatch.setattr(
        sharing_api,
        "finish",
        lambda client, share: {"code": "INVALID_REQUEST", "message": "订单处理中,请稍后重试"},
    )
    run()
    share = shop.profit_shares.find_one({"_id": mango["out_trade_no"]})
    assert share["state"] == "SPLIT_OWED" and share.get("subsidy_cancelled"), share
    monkeypatch.setattr(sharing_api, "finish", real_finish)
    for step in range(6):
        later(8.2 + step / 4)
        run()
    share = shop.profit_shares.find_one({"_id": mango["out_trade_no"]})
    cancels = sent(shop, "/v3/ecommerce/subsidies/cancel")
    after = shop.sandbox_wechatpay.find_one({"_id": f"after:{mango['out_trade_no']}"}) or {}
    assert share["state"] == "FINISHED" and after.get("finished"), (
        share["state"],
        share.get("refusal"),
        len(cancels),
    )
    assert len(cancels) == 1, len(cancels)
    assert "sharing_due" not in shop.orders.find_one({"_id": order["_id"]})
    assert len(sent(shop, f"{SHARING}/finish-order")) >= 1


def test_a_subsidy_cancel_whose_answer_was_lost_does_not_stop_the_release(shop, monkeypatch):
    """取消补差 accepted by WeChat Pay, its answer lost (a timeout): the cancel is not marked
    asked before it is sent (unlike the subsidy and the split), and asked again it is refused
    on every look; the sub-order's freight stays frozen until WeChat's 180 days."""
    from retail.common.errors import UpstreamUnavailable

    order = discounted(shop, "r31-cancel-0002")
    (mango,) = [s for s in order["sub_orders"] if s["merchant_id"] == MANGO]
    asked = call(
        "refund_request", {"order_id": order["_id"], "reason": "烂了", "merchant_id": MANGO}
    )
    assert asked["code"] == "OK", asked
    assert as_operator("refund_review", {"order_id": order["_id"], "approve": True})["code"] == "OK"
    (refund,) = sent(shop, "/v3/ecommerce/refunds/apply")
    sandbox.complete_refund(refund["out_refund_no"], send=deliver_to("refund_notify"))
    later(8)
    settle(day_of(order["completed_at"]).isoformat())
    real_cancel = sharing_api.cancel_subsidy

    def accepted_then_lost(client: Any, share: dict[str, Any]) -> dict[str, Any]:
        real_cancel(client, share)
        raise UpstreamUnavailable("timeout")

    monkeypatch.setattr(sharing_api, "cancel_subsidy", accepted_then_lost)
    run()
    monkeypatch.setattr(sharing_api, "cancel_subsidy", real_cancel)
    for step in range(6):
        later(8.2 + step / 4)
        run()
    share = shop.profit_shares.find_one({"_id": mango["out_trade_no"]})
    assert share["state"] == "FINISHED", (share["state"], share.get("refusal"))
