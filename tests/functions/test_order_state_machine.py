"""Issue 13's proof: interleavings generated, not listed. A hypothesis state machine over a
few buyers, SKUs, coupons and points balances places (with and without coupon and points,
with retried keys), prepays, pays (on time, duplicated, late after cancel or expiry),
cancels, expires, ships (whole, or one merchant's parcel), confirms, refunds (the whole order
or one merchant's parcel: request, review, result duplicated, a crash after the result went
final), dies at the named fault points of placing, stock moves and settlement
(FAULT_POINTS; the stock books and coupons may be off only until repair runs), reconciles,
repairs and settles closed days (by hand and by the daily timer), and
after every step checks the books. After reconcile and repair it also checks that no refund
WeChat Pay paid is left unapplied (no order or parcel stuck REFUNDING) and that WeChat Pay
keeps no money for a cancelled or failed order (a payment that raced the cancel is asked back
whole); after the timer, that every sale of a settled day is in a statement. Each of these was
seen to fail with its fix broken (late payments kept, final refunds never applied, sale lines
dropped from statements) at 100 x 60.

Bounded for `make test`: 20 runs of up to 30 steps, a few seconds. A longer run:
`ORDER_MACHINE_EXAMPLES=300 ORDER_MACHINE_STEPS=80 .venv/bin/python -m pytest
tests/functions/test_order_state_machine.py` (see docs/decisions/0011)."""

from __future__ import annotations

import json
import os
from datetime import timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from retail.common.clock import travel, utcnow
from retail.common.settings import settings as shop_settings
from retail.inventory import audit_stock
from retail.members import award_points
from retail.orders.parcel_states import ParcelState, parcel_state, reachable
from retail.payments.config import wechatpay_config
from retail.payments.connect import wechatpay_client
from retail.payments.notifications import apply_refund_result
from retail.payments.refunds import MAX_ATTEMPTS
from retail.payments.transactions import apply_transaction
from retail.settlement.lines import listed_claims

from ..order_documents import order_problems
from .harness import as_operator, call, handler, sample
from .machine_stores import fresh_store

BUYERS = ["o-sm-a", "o-sm-b", "o-sm-c"]
SKUS = ["p-eggs-1", "p-walnut-1", "p-rice-1"]  # m-self, m-dianfeng, m-self
SECOND = ["p-mango-1", "p-chili-1"]  # another merchant's line: the order ships by parcel
ADDRESS = sample("order_place")["address"]
EXAMPLES = int(os.environ.get("ORDER_MACHINE_EXAMPLES", "20"))
STEPS = int(os.environ.get("ORDER_MACHINE_STEPS", "30"))
LIVE = ("PAID", "SHIPPED", "COMPLETED", "REFUNDING", "REFUNDED")
# Where a process can die mid-way (retail.common.faults), by the module that names the point.
FAULT_POINTS = {
    "order_place:after_order_write": "retail.orders.place",
    "order_place:before_status_switch": "retail.orders.reserving",
    "order_place:after_status_switch": "retail.orders.reserving",
    "order_place:after_line_1": "retail.orders.reserving",
    "settle_stock:after_move_1": "retail.orders.lifecycle",
    "settle_stock:before_markers_cleared": "retail.orders.lifecycle",
    "settlement:after_statement_1": "retail.settlement.statements",
    "settlement:after_page": "retail.settlement.ledger",
}


class Crash(Exception):
    """The process dying at a fault point."""


def _timer(name, message=None):
    event = {**sample(name), "Message": json.dumps(message or {})}
    return handler(name)(event, {})


class Orders(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db = _fresh_store()
        self.days = 0
        self.crashed = False  # a process died part way; repair has not run since
        travel(timedelta(0))
        self.orders: list[str] = []
        self.keys: dict[str, tuple[str, dict]] = {}
        self.coupons: dict[str, str] = {}
        self.parcels: dict[tuple[str, str], ParcelState] = {}  # as last seen
        for buyer in BUYERS:
            call("user_login", {}, openid=buyer)
            award_points(self.db, buyer, 200, f"grant:{buyer}", "machine grant")
            claimed = call("coupon_claim", {"template_id": "c-new-user"}, openid=buyer)
            assert claimed["code"] == "OK", claimed
            self.coupons[buyer] = claimed["data"]["coupon_id"]

    def _order(self, n: int) -> dict:
        """Mostly one of the newest orders, so that one order goes through many steps."""
        recent = self.orders[-3:] if n % 4 else self.orders
        return self.db.orders.find_one({"_id": recent[n % len(recent)]})

    @rule(
        buyer=st.sampled_from(BUYERS),
        sku=st.sampled_from(SKUS),
        qty=st.integers(1, 12),
        coupon=st.booleans(),
        points=st.sampled_from([0, 50, 300]),
        pay_now=st.booleans(),
        second=st.sampled_from([None, *SECOND]),
    )
    def place(self, buyer, sku, qty, coupon, points, pay_now, second):
        items = [{"sku_id": sku, "qty": qty}] + ([{"sku_id": second, "qty": 1}] if second else [])
        data = {"items": items, "address": ADDRESS, "points": points}
        if coupon:
            data["coupon_id"] = self.coupons[buyer]
        key = f"sm-{len(self.keys):06d}"
        answer = call("order_place", {**data, "idempotency_key": key}, openid=buyer)
        self.keys[key] = (buyer, {**data, "first": (answer["code"], answer.get("details"))})
        if answer["code"] == "OK":
            self.orders.append(answer["data"]["order_id"])
            if pay_now:  # the new order, paid at once
                self._pay(self.db.orders.find_one({"_id": self.orders[-1]}), 1, raced=False)

    @precondition(lambda self: self.keys)
    @rule(n=st.integers(0, 10**6))
    def retry_place(self, n):
        key = sorted(self.keys)[n % len(self.keys)]
        buyer, data = self.keys[key]
        request = {k: v for k, v in data.items() if k != "first"}
        stored = self.db.orders.find_one({"openid": buyer, "idempotency_key": key})
        answer = call("order_place", {**request, "idempotency_key": key}, openid=buyer)
        if stored is None:  # the first call was refused before writing anything: a new try
            self.keys[key] = (buyer, {**request, "first": (answer["code"], answer.get("details"))})
            if answer["code"] == "OK":
                self.orders.append(answer["data"]["order_id"])
            return
        first_code, first_details = data["first"]
        if first_code == "INTERNAL":  # the first call died part way: this one is its answer,
            # once nothing can still be placing it (the retry then finishes it at once)
            assert not (answer["code"] == "OK" and answer["data"]["status"] == "RESERVING")
            unfinished = answer["code"] == "UNAVAILABLE"
            if not unfinished:
                self.keys[key] = (
                    buyer,
                    {**request, "first": (answer["code"], answer.get("details"))},
                )
            if answer["code"] == "OK" and answer["data"]["order_id"] not in self.orders:
                self.orders.append(answer["data"]["order_id"])
            return
        assert answer["code"] == first_code
        if first_code != "OK":
            assert answer.get("details") == first_details

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6))
    def prepay(self, n):
        order = self._order(n)
        call("payment_prepay", {"order_id": order["_id"]}, openid=order["openid"])

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6), times=st.integers(1, 2))
    def pay(self, n, times):
        """The buyer pays what WeChat Pay still accepts; its notification may come twice and
        may come late, after the order was cancelled or expired."""
        self._pay(self._order(n), times, raced=not n % 2)

    def _pay(self, order, times, raced):
        """`raced`: a transaction closed meanwhile was paid before the close reached it."""
        call("payment_prepay", {"order_id": order["_id"]}, openid=order["openid"])
        record = self.db.sandbox_wechatpay.find_one({"_id": f"pay:{order['_id']}"})
        if record is None or (record["trade_state"] == "CLOSED" and not raced):
            return
        self.db.sandbox_wechatpay.update_one(
            {"_id": record["_id"]},
            {"$set": {"trade_state": "SUCCESS", "transaction_id": f"42{order['_id']}"}},
        )
        tx = self.db.sandbox_wechatpay.find_one({"_id": record["_id"]})
        tx = {k: v for k, v in tx.items() if k not in ("_id", "kind", "notify_url")}
        for _ in range(times):
            apply_transaction(self.db, wechatpay_config(), tx)

    @rule(buyer=st.sampled_from(BUYERS), sku=st.sampled_from(SKUS), expire=st.booleans())
    def pay_after_cancel(self, buyer, sku, expire):
        """The payment races the cancel: the buyer pays in WeChat while the order is being
        cancelled (or expired), and the money arrives for an order that is gone."""
        key = f"sm-{len(self.keys):06d}"
        data = {"items": [{"sku_id": sku, "qty": 1}], "address": ADDRESS, "points": 0}
        answer = call("order_place", {**data, "idempotency_key": key}, openid=buyer)
        self.keys[key] = (buyer, {**data, "first": (answer["code"], answer.get("details"))})
        if answer["code"] != "OK":
            return
        order_id = answer["data"]["order_id"]
        self.orders.append(order_id)
        call("payment_prepay", {"order_id": order_id}, openid=buyer)
        if expire:
            past = utcnow() - timedelta(seconds=1)
            self.db.orders.update_one({"_id": order_id}, {"$set": {"pay_deadline": past}})
            assert _timer("order_expire")["code"] == "OK"
        else:
            call("order_cancel", {"order_id": order_id}, openid=buyer)
        self._pay(self.db.orders.find_one({"_id": order_id}), 1, raced=True)

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6))
    def cancel(self, n):
        order = self._order(n)
        call("order_cancel", {"order_id": order["_id"]}, openid=order["openid"])

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6))
    def expire(self, n):
        order = self._order(n)
        past = utcnow() - timedelta(seconds=1)
        self.db.orders.update_one(
            {"_id": order["_id"], "status": "PENDING_PAYMENT"}, {"$set": {"pay_deadline": past}}
        )
        assert _timer("order_expire")["code"] == "OK"

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6), merchant=st.integers(-1, 2))
    def ship(self, n, merchant=-1):
        """Admin ships every waiting parcel, a merchant (one of the order's) its own."""
        order = self._order(n)
        ship = {"order_id": order["_id"], "carrier": "SF", "tracking_no": "SF0000000001"}
        role = f"merchant:{_merchant_of(order, merchant)}" if merchant >= 0 else "admin"
        as_operator("order_ship", ship, role)

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6))
    def confirm(self, n):
        """The parcel arrives (shipped first if it was still waiting) and the buyer confirms."""
        order = self._order(n)
        if n % 2:
            self.ship(n)
        call("order_confirm", {"order_id": order["_id"]}, openid=order["openid"])

    @precondition(lambda self: self.orders)
    @rule(n=st.integers(0, 10**6), approve=st.booleans(), parcel=st.integers(-1, 2))
    def refund(self, n, approve, parcel):
        """The whole order, or one merchant's parcel of it."""
        order = self._order(n)
        asked = {"order_id": order["_id"], "reason": "no"}
        if parcel >= 0:
            asked["merchant_id"] = _merchant_of(order, parcel)
        call("refund_request", asked, openid=order["openid"])
        review = {"order_id": order["_id"], "approve": approve}
        as_operator("refund_review", review, "service")

    @precondition(lambda self: self.db.refunds.count_documents({}))
    @rule(
        n=st.integers(0, 10**6),
        crash=st.booleans(),
        times=st.integers(1, 2),
        status=st.sampled_from(["SUCCESS", "SUCCESS", "ABNORMAL", "CLOSED"]),
    )
    def refund_result(self, n, crash, times, status):
        """WeChat Pay's word on a refund it accepted: it succeeded, waits abnormal, or closed
        unpaid; once final, every later notification repeats the same word."""
        from retail.payments import notifications

        refunds = sorted(r["_id"] for r in self.db.refunds.find({}, {"_id": 1}))
        out_refund_no = refunds[n % len(refunds)]
        at_wechat = {"_id": "refund:" + out_refund_no}
        self.db.sandbox_wechatpay.update_one(  # a final status at WeChat Pay stays final
            {**at_wechat, "status": {"$nin": ["SUCCESS", "CLOSED"]}}, {"$set": {"status": status}}
        )
        known = self.db.sandbox_wechatpay.find_one(at_wechat)
        if known is None:  # WeChat Pay tells only of refunds it accepted
            return
        result = {"out_refund_no": out_refund_no, "refund_status": known["status"]}
        if crash:
            real = notifications.fault_point
            notifications.fault_point = lambda name: (_ for _ in ()).throw(Crash(name))
            try:
                apply_refund_result(self.db, result)
            except Crash:
                self.crashed = True  # the order has not taken the result; reconcile gives it
            finally:
                notifications.fault_point = real
            return
        for _ in range(times):
            apply_refund_result(self.db, result)

    @precondition(lambda self: self.orders)
    @rule(
        point=st.sampled_from(sorted(FAULT_POINTS)),
        n=st.integers(0, 10**6),
        buyer=st.sampled_from(BUYERS),
        sku=st.sampled_from(SKUS),
    )
    def crash(self, point, n, buyer, sku):
        """The process dies at a named fault point of the action that reaches it; repair,
        reconcile and the next timer runs finish what it left."""
        armed = _arm(point)
        self.crashed = True
        try:
            if point.startswith("order_place"):
                self.place(buyer, sku, 1, False, 0, False, None)
            elif point.startswith("settle_stock"):
                action = (self.pay_once, self.cancel, self.refund_whole)[n % 3]
                action(n)
            else:
                self.settle_by_timer()
        except Crash:
            pass
        finally:
            armed()

    def refund_whole(self, n):
        self.refund(n, True, -1)

    def pay_once(self, n):
        self.pay(n, 1)

    @rule()
    def reconcile_and_repair(self):
        self.db.orders.update_many({}, {"$set": {"updated_at": utcnow() - timedelta(hours=1)}})
        self.db.refunds.update_many({}, {"$set": {"created_at": utcnow() - timedelta(hours=1)}})
        assert _timer("payment_reconcile")["code"] == "OK"
        assert _timer("order_repair")["code"] == "OK"
        self.crashed = False  # what a crash left half done is finished now: the books hold
        # Nothing is left owed, and WeChat Pay (the sandbox, with its rules) took every refund.
        assert self.db.orders.count_documents({"parcels_owed.0": {"$exists": True}}) == 0
        assert self.db.refunds.count_documents({"status": "PENDING"}) == 0
        _check_refunds_finished(self.db)
        _check_wechat_keeps_nothing_unowed(self.db)

    @rule()
    def settle_by_timer(self):
        """The daily timer (no day): every completed sale of a day it has settled is in a
        statement, whatever days were settled by hand before."""
        answer = _timer("settlement_run")
        if answer["code"] == "INTERNAL":  # died at a fault point (the crash rule)
            raise Crash("settlement_run")
        assert answer["code"] == "OK", answer
        _check_sales_settled(self.db, answer["data"]["day"])

    @rule(sku=st.sampled_from(SKUS + SECOND), buckets=st.integers(1, 4))
    def split_a_level(self, sku, buckets):
        """An operator splits a SKU's warehouse level into buckets (or joins it again)
        whatever orders hold in it: inventory/buckets.py."""
        split = {"sku_id": sku, "location": "central", "buckets": buckets}
        assert as_operator("stock_split", split)["code"] == "OK"

    @rule()
    def rebalance(self):
        assert _timer("stock_rebalance")["code"] == "OK"

    @rule()
    def next_day(self):
        """Time passes (this process's clock), so the days with sales end and can settle."""
        self.days += 1
        travel(timedelta(days=self.days))

    @rule(back=st.integers(1, 3))
    def settle_a_closed_day(self, back):
        ended = utcnow() - timedelta(seconds=shop_settings().RETAIL_SETTLEMENT_GRACE_SECONDS)
        day = (ended + timedelta(hours=8)).date() - timedelta(days=back)
        assert _timer("settlement_run", {"day": day.isoformat()})["code"] == "OK"

    @invariant()
    def the_books_hold(self):
        db = self.db
        unfinished = [p for p in audit_stock(db) if "unfinished" not in p]
        assert unfinished == [] or self.crashed, unfinished
        for buyer in BUYERS:
            user = db.users.find_one({"_id": buyer})
            ledger = sum(e["delta"] for e in db.points_ledger.find({"openid": buyer}))
            assert user["points"] == ledger and user["points"] >= 0
        for coupon in db.coupons.find({}) if not self.crashed else []:  # repair settles it
            _check_coupon(db, coupon)
        for order in db.orders.find({}):
            _check_money(db, order, self.crashed)
            assert order_problems(order) == [], (order["_id"], order_problems(order))
            self._check_parcels_moved_by_the_table(order)
        carried: dict[str, str] = {}
        for statement in db.statements.find({}):
            for claims in listed_claims(db, statement, 1000):
                for claim in claims:
                    assert claim not in carried, (claim, statement["_id"], carried.get(claim))
                    carried[claim] = statement["_id"]
        finished = {d["_id"] for d in db.settlement_days.find({}, {"_id": 1})}
        for claim in db.settlement_claims.find({}):
            if db.statements.find_one({"_id": claim["statement_id"]}, {"_id": 1}) is None:
                # a run died before this statement: the day is not finished, and the next
                # run of it writes the statement with this claim
                assert claim["statement_id"].rsplit(":", 1)[1] not in finished, claim
                continue
            assert carried.get(claim["_id"]) == claim["statement_id"], claim

    def _check_parcels_moved_by_the_table(self, order: dict) -> None:
        """Each parcel only ever moved along orders.parcel_states.MOVES since last seen."""
        for merchant_id in order.get("merchant_ids") or []:
            now = parcel_state(order, merchant_id)
            before = self.parcels.get((order["_id"], merchant_id), ParcelState.WAITING)
            assert reachable(before, now), (order["_id"], merchant_id, before, now)
            self.parcels[(order["_id"], merchant_id)] = now

    def teardown(self):
        travel(timedelta(0))


def _arm(point: str):
    """Make `point` raise Crash (the process dying there) until the returned call disarms."""
    import importlib

    module = importlib.import_module(FAULT_POINTS[point])
    real = module.fault_point

    def dies(name):
        if name == point:
            raise Crash(name)
        return real(name)

    module.fault_point = dies
    return lambda: setattr(module, "fault_point", real)


def _check_refunds_finished(db) -> None:
    """After reconcile and repair, every refund WeChat Pay paid has reached its order: no
    order stays REFUNDING, and no parcel REFUNDING, for money that arrived."""
    for record in db.refunds.find({"status": "SUCCESS"}):
        order = db.orders.find_one({"_id": record["order_id"]})
        if order is None:
            continue
        if record.get("merchant_id"):
            parcel = (order.get("parcel_refunds") or {}).get(record["merchant_id"]) or {}
            assert parcel.get("status") == "REFUNDED", (record["_id"], parcel)
        elif record.get("first_no", record["_id"]) == f"R{order['_id']}":
            # (a late payment's refund leaves its cancelled order as it is)
            assert order["status"] != "REFUNDING", (record["_id"], order["status"])


def _check_wechat_keeps_nothing_unowed(db) -> None:
    """After reconcile, WeChat Pay holds no money for an order that did not go through: a
    payment that succeeded for a cancelled or failed order is asked back whole (or was
    closed unpaid every time and is an operator's now)."""
    for paid in db.sandbox_wechatpay.find({"kind": "transaction", "trade_state": "SUCCESS"}):
        order = db.orders.find_one({"out_trade_no": paid["out_trade_no"]}, {"status": 1})
        if order is None or order["status"] in LIVE:
            continue
        asked = list(
            db.sandbox_wechatpay.find({"kind": "refund", "out_trade_no": paid["out_trade_no"]})
        )
        back = sum(r["amount"]["refund"] for r in asked if r["status"] != "CLOSED")
        given_up = len(asked) >= MAX_ATTEMPTS and all(r["status"] == "CLOSED" for r in asked)
        assert back == paid["amount"]["total"] or given_up, (order, back, paid["amount"])


def _check_sales_settled(db, latest: str) -> None:
    """Every merchant's share of every order completed on a day a run finished (its
    statements written: settlement_days), up to `latest`, is claimed by exactly one statement.
    A day another invocation still holds (a run that died holds it for its lease) is not
    finished, and the answer says it stopped early: that day is checked once it is."""
    finished = {d["_id"] for d in db.settlement_days.find({}, {"_id": 1})}
    claims = {c["_id"] for c in db.settlement_claims.find({}, {"_id": 1})}
    for order in db.orders.find({"completed_at": {"$exists": True}}):
        day = (order["completed_at"] + timedelta(hours=8)).date().isoformat()
        if day not in finished or day > latest:
            continue
        for merchant_id in {line["merchant_id"] for line in order["lines"]}:
            assert f"sale:{order['_id']}:{merchant_id}" in claims, (order["_id"], merchant_id)


def _check_coupon(db, coupon: dict) -> None:
    """A coupon is held by at most one live order, and is AVAILABLE only if by none."""
    holders = [
        o["status"]
        for o in db.orders.find({"coupon_id": coupon["_id"]})
        if o["status"] in ("RESERVING", "PENDING_PAYMENT", *LIVE) and not o.get("restock")
    ]
    assert len(holders) <= 1, coupon
    if coupon["status"] == "AVAILABLE":
        assert not holders, (coupon, holders)
    else:
        assert holders and coupon["order_id"], coupon


def _closed_chains(refunds: list[dict]) -> tuple[int, int]:
    """Money of refund chains (a refund and its asks-again, whole or by parcel) that WeChat
    Pay closed at every attempt: given up to an operator once the order has taken the last
    close, still on its way while a crash stopped it before the order took it (reconcile
    asks again)."""
    chains: dict[str, list[dict]] = {}
    for record in refunds:
        chains.setdefault(record.get("first_no", record["_id"]), []).append(record)
    given_up = on_its_way = 0
    for chain in chains.values():
        if all(r["status"] == "CLOSED" for r in chain):
            last = max(chain, key=lambda r: r.get("attempt", 1))
            if last.get("order_done"):
                given_up += last["amount"]
            else:
                on_its_way += last["amount"]
    return given_up, on_its_way


def _check_money(db, order: dict, crashed: bool) -> None:
    """Paid once, in full; refunds (whole and by parcel) never more than was paid, with the
    payment's total as WeChat Pay checks it; a whole refund gives back exactly the rest."""
    refunds = list(db.refunds.find({"order_id": order["_id"]}))
    refunded = sum(r["amount"] for r in refunds if r["status"] != "CLOSED")  # closed: unpaid
    assert all(r["total"] == order["total"] for r in refunds)
    parcels = order.get("parcel_refunds") or {}
    kept = order.get("points_shortfall", 0) + sum(
        p.get("points_shortfall", 0) for p in parcels.values()
    )
    if order["status"] in LIVE:
        assert order["paid_amount"] == order["total"]
        assert refunded + kept <= order["total"]
    if order.get("transaction_id") and order["status"] not in LIVE:
        raise AssertionError(f"paid order {order['_id']} is {order['status']}")
    if any(r.get("first_no", r["_id"]) == f"R{order['_id']}" for r in refunds):
        given_up, on_its_way = _closed_chains(refunds)
        assert not on_its_way or crashed, (order["_id"], on_its_way)
        assert refunded + kept + given_up + on_its_way == order["total"], order["_id"]
    for merchant_id, parcel in parcels.items():
        assert parcel["amount"] <= order["total"] - order["freight"]
        if parcel["restock"]:  # it had not left, and never leaves now
            assert merchant_id not in (order.get("parcels") or {}), order["_id"]


def _merchant_of(order: dict, k: int) -> str:
    """One of the order's merchants, or now and then one with nothing in it."""
    merchants = [*order["merchant_ids"], "m-dianfeng"]
    return merchants[k % len(merchants)]


def _fresh_store():
    return fresh_store("ORDER_MACHINE_DIR")


Orders.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # Shrinking a long failing run can take minutes: the bounded run reports it unshrunk.
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("ORDER_MACHINE_SHRINK") else []),
)


def test_money_moves_exactly_once_under_generated_interleavings(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDER_MACHINE_DIR", str(tmp_path))
    monkeypatch.setenv("WECHATPAY_SANDBOX_DIR", str(tmp_path / "sandbox"))
    try:
        Orders.TestCase("runTest").runTest()
    finally:
        wechatpay_config.cache_clear()
        wechatpay_client.cache_clear()
