"""Issue 30's proof for marketplace money: interleavings generated, not listed. A hypothesis
state machine places orders of two merchants (with and without coupon and points), pays them
as combined payments (notifications duplicated), ships and confirms them, refunds a parcel or
the whole order before or after completion (WeChat Pay's results duplicated), lets days pass,
settles them and runs profit sharing, in any order. After every step, per sub-order at the
local WeChat Pay: nothing refunded beyond what was paid, no split above 30 % of what the
sub-order held, no return above the split. At the end, once every refund has ended and every
window has passed: no money left frozen for a finished order, the platform keeps exactly the
statements' commission of the goods that were sold and nothing of those refunded, and each
merchant keeps the subsidy of what it sold and none of what it gave back.

Bounded for `make test`: MARKET_MACHINE_EXAMPLES runs (20) of up to MARKET_MACHINE_STEPS (30)
steps, some seconds; `MARKET_MACHINE_EXAMPLES=120 MARKET_MACHINE_STEPS=40` played 706 orders
(219 shared, 12 split sub-orders given back after a refund) and held."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from retail.common.clock import day_of, travel, utcnow
from retail.common.settings import settings as shop_settings
from retail.members import award_points
from retail.payments.config import wechatpay_config
from retail.payments.connect import wechatpay_client
from retail.settlement.ledger import commission_on
from retail_dev import wechatpay_sandbox as sandbox

from .harness import as_operator, call, consent, handler, receive, sample
from .machine_stores import fresh_store
from .test_marketplace_payments import deliver_to, onboard

EXAMPLES = int(os.environ.get("MARKET_MACHINE_EXAMPLES", "20"))
STEPS = int(os.environ.get("MARKET_MACHINE_STEPS", "30"))
BUYERS = ["o-mm-a", "o-mm-b"]
FIRST = ["p-eggs-1", "p-rice-1"]  # m-self (no commission)
SECOND = ["p-mango-1", "p-walnut-1"]  # m-huaxia, m-dianfeng
ADDRESS = sample("order_place")["address"]


def _timer(name: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
    event = {**sample(name), "Message": json.dumps(message or {})}
    answer = handler(name)(event, {})
    assert answer["code"] == "OK", (name, answer)
    data: dict[str, Any] = answer["data"]
    return data


class Marketplace(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db = _fresh_store()
        self.days = 0.0
        travel(timedelta(0))
        self.orders: list[str] = []
        self.coupons: dict[str, str] = {}
        for buyer in BUYERS:
            call("user_login", {}, openid=buyer)
            consent(buyer)
            award_points(self.db, buyer, 400, f"grant:{buyer}", "machine grant")
            claimed = call("coupon_claim", {"template_id": "c-new-user"}, openid=buyer)
            self.coupons[buyer] = claimed["data"]["coupon_id"]

    def _order(self, n: int) -> dict[str, Any]:
        return self.db.orders.find_one({"_id": self.orders[n % len(self.orders)]})

    @rule(
        buyer=st.sampled_from(BUYERS),
        first=st.sampled_from(FIRST),
        second=st.sampled_from(SECOND),
        qty=st.integers(1, 5),
        coupon=st.booleans(),
        points=st.sampled_from([0, 100]),
        times=st.integers(1, 2),
    )
    def place_and_pay(self, buyer, first, second, qty, coupon, points, times):
        data = {
            "items": [{"sku_id": first, "qty": qty}, {"sku_id": second, "qty": 1}],
            "address": ADDRESS,
            "points": points,
            "idempotency_key": f"mm-{len(self.orders):05d}-{buyer}",
        }
        if coupon:
            data["coupon_id"] = self.coupons[buyer]
        placed = call("order_place", data, openid=buyer)
        if placed["code"] != "OK":  # a coupon spent, points gone, too many orders: no pay
            assert placed["code"] in ("CONFLICT", "INVALID_ARGUMENT", "NOT_FOUND", "FORBIDDEN")
            return
        order_id = placed["data"]["order_id"]
        assert call("payment_prepay", {"order_id": order_id}, openid=buyer)["code"] == "OK"
        assert sandbox.pay(order_id, times, send=deliver_to("payment_notify")) == [200] * times
        self.orders.append(order_id)

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6))
    def ship_and_confirm(self, n):
        order = self._order(n)
        if order["status"] != "PAID":
            return
        ship = {"order_id": order["_id"], "carrier": "SF", "tracking_no": f"SF{n % 10**9:09d}0"}
        if as_operator("order_ship", ship)["code"] == "OK":
            receive(order["_id"], order["openid"])

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6), parcel=st.booleans(), approve=st.booleans())
    def refund(self, n, parcel, approve):
        order = self._order(n)
        asked = {"order_id": order["_id"], "reason": "not wanted"}
        if parcel:
            asked["merchant_id"] = order["merchant_ids"][n % len(order["merchant_ids"])]
        call("refund_request", asked, openid=order["openid"])
        review = {"order_id": order["_id"], "approve": approve}
        as_operator("refund_review", review, "admin")

    @precondition(lambda self: self.db.sandbox_wechatpay.count_documents({"kind": "refund"}))
    @rule(times=st.integers(1, 2))
    def wechat_pay_finishes_refunds(self, times):
        for refund in self.db.sandbox_wechatpay.find({"kind": "refund", "status": "PROCESSING"}):
            for _ in range(times):
                sandbox.complete_refund(refund["out_refund_no"], send=deliver_to("refund_notify"))

    @rule(days=st.sampled_from([0.5, 1, 4, 8]))
    def days_pass(self, days):
        self.days += days
        travel(timedelta(days=self.days))
        grace = timedelta(seconds=shop_settings().RETAIL_SETTLEMENT_GRACE_SECONDS)
        ended = day_of(utcnow() - grace)  # the first day not over with its grace, whatever
        for back in range(1, 10):  # the time of day the run starts at
            _timer("settlement_run", {"day": (ended - timedelta(days=back)).isoformat()})

    @rule()
    def profit_sharing(self):
        _timer("profit_sharing_run")

    @invariant()
    def no_sub_order_gives_more_than_it_took(self):
        for combined in self.db.sandbox_wechatpay.find({"kind": "combined"}):
            for sub in combined["sub_orders"]:
                _check_sub_order(self.db, sub)

    @precondition(lambda self: self.orders)
    @rule()
    def everything_ends(self):
        """Every refund ended, every window passed, every day settled, sharing run: the
        money of each finished order is where the statements say."""
        self.wechat_pay_finishes_refunds(1)
        self.days_pass(8)
        self.days_pass(8)
        for _ in range(3):
            self.profit_sharing()
            self.days += 0.1
            travel(timedelta(days=self.days))
        for order_id in self.orders:
            _check_settled(self.db, self.db.orders.find_one({"_id": order_id}))

    def teardown(self):
        travel(timedelta(0))


def _check_sub_order(db: Any, sub: dict[str, Any]) -> None:
    if sub["trade_state"] != "SUCCESS":
        return
    paid = sub["amount"]["total_amount"]
    refunds = db.sandbox_wechatpay.find({"kind": "refund", "out_trade_no": sub["out_trade_no"]})
    refunded = sum(r["amount"]["refund"] for r in refunds if r["status"] != "CLOSED")
    assert refunded <= paid, (sub["out_trade_no"], refunded, paid)
    after = db.sandbox_wechatpay.find_one({"_id": "after:" + sub["out_trade_no"]}) or {}
    split_key = after.get("finished")
    if isinstance(split_key, str):
        split = db.sandbox_wechatpay.find_one({"_id": split_key})
        took = sum(r["amount"] for r in split["receivers"])
        subsidy = (after.get("subsidy") or {}).get("amount", 0)
        assert took * 10_000 <= (took + split["finish_amount"]) * 3000, split
        assert took + split["finish_amount"] <= paid + subsidy
        back = db.sandbox_wechatpay.find({"kind": "return", "out_order_no": split["out_order_no"]})
        assert sum(r["amount"] for r in back) <= took


def _check_settled(db: Any, order: dict[str, Any]) -> None:
    """A finished order: nothing frozen, and the platform and each merchant keep exactly what
    the statements and the subsidies say."""
    if order["status"] not in ("COMPLETED", "REFUNDED") or "sharing_due" in order:
        assert order["status"] not in ("COMPLETED", "REFUNDED") or order.get("refund_status") in (
            "ABNORMAL",
            "CLOSED",
        ), (order["_id"], order["status"], order.get("sharing_due"))
        return
    for sub in order["sub_orders"]:
        share = db.profit_shares.find_one({"_id": sub["out_trade_no"]})
        assert share is not None and share["state"] in ("FINISHED", "GIVEN_BACK"), share
        after = db.sandbox_wechatpay.find_one({"_id": "after:" + sub["out_trade_no"]}) or {}
        parcel = (order.get("parcel_refunds") or {}).get(sub["merchant_id"]) or {}
        sold = order["status"] == "COMPLETED" and parcel.get("status") != "REFUNDED"
        held_left = _refunded(db, sub) < sub["amount"] or after.get("subsidy")
        assert after.get("finished") or not held_left, (sub, after)  # nothing stays frozen
        split = (
            db.sandbox_wechatpay.find_one({"_id": after["finished"]})
            if after.get("finished")
            else None
        )
        took = sum(r["amount"] for r in split["receivers"]) if split else 0
        returned = sum(
            r["amount"]
            for r in db.sandbox_wechatpay.find(
                {"kind": "return", "out_order_no": split["out_order_no"]}
                if split
                else {"_id": None}
            )
        )
        subsidy = (after.get("subsidy") or {}).get("amount", 0)
        subsidy_back = sum(
            r["amount"]
            for r in db.sandbox_wechatpay.find(
                {"kind": "subsidy_return", "transaction_id": sub_transaction(order, sub)}
            )
        )
        if sold:
            rate = _statement_rate(db, order, sub["merchant_id"])
            lines = [ln for ln in order["lines"] if ln["merchant_id"] == sub["merchant_id"]]
            assert took - returned == sum(commission_on(ln["amount"], rate) for ln in lines)
            assert subsidy - subsidy_back == sub["subsidy"]
        else:
            assert took - returned == 0, (sub, took, returned)
            assert subsidy - subsidy_back == 0, (sub, subsidy, subsidy_back)


def sub_transaction(order: dict[str, Any], sub: dict[str, Any]) -> str:
    return str(order["sub_transactions"][sub["out_trade_no"]])


def _refunded(db: Any, sub: dict[str, Any]) -> int:
    refunds = db.sandbox_wechatpay.find({"kind": "refund", "out_trade_no": sub["out_trade_no"]})
    return sum(r["amount"]["refund"] for r in refunds if r["status"] == "SUCCESS")


def _statement_rate(db: Any, order: dict[str, Any], merchant_id: str) -> int:
    claim = db.settlement_claims.find_one({"_id": f"sale:{order['_id']}:{merchant_id}"})
    statement = db.statements.find_one({"_id": claim["statement_id"]})
    return int(statement["commission_rate_bp"])


def _fresh_store() -> Any:
    db = fresh_store("MARKET_MACHINE_DIR")
    onboard(db)
    for product in db.products.find({}, {"_id": 1}):  # loaded before the payees were known
        publish = {"product_id": product["_id"], "on_sale": True}
        assert as_operator("product_publish", publish)["code"] == "OK"
    return db


Marketplace.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("MARKET_MACHINE_SHRINK") else []),
)


def test_marketplace_money_ends_where_the_statements_say(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKET_MACHINE_DIR", str(tmp_path))
    monkeypatch.setenv("WECHATPAY_SANDBOX_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("RETAIL_PAYMENT_MODE", "marketplace")
    try:
        Marketplace.TestCase("runTest").runTest()
    finally:
        travel(timedelta(0))
        wechatpay_config.cache_clear()
        wechatpay_client.cache_clear()
