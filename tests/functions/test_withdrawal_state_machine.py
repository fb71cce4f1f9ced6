"""Issue 31's proof over generated interleavings: a promoter earns, has commissions reversed
(into debt once paid out), withdraws (refused past the balance; large ones reviewed, approved
or rejected), a call dies between writing a withdrawal and taking its money, WeChat Pay ends
bills (SUCCESS, FAIL, CANCELLED; notified, notified twice, or never), and the timer runs. After
every step the books add up: available + withdrawing + withdrawn - debt is what was earned less
what was reversed, nothing is negative, no withdrawal has two bills, and what WeChat Pay paid
is what the account calls withdrawn once the timer has caught up.

Bounded for `make test`; longer: WITHDRAWAL_MACHINE_EXAMPLES=200 WITHDRAWAL_MACHINE_STEPS=60."""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from retail.common.clock import travel, utcnow
from retail.common.errors import RetailError
from retail.common.operator import Operator, Role
from retail.payments import wechat_pay_transfers
from retail.payments.config import wechatpay_config
from retail.payments.connect import wechatpay_client
from retail.referral import (
    ReviewWithdrawal,
    SyncWithdrawals,
    Withdraw,
    review_withdrawal,
    sync_withdrawals,
    withdraw,
)
from retail.referral import withdrawals as module
from retail.referral.balances import ACCOUNTS, account_of, move_balance
from retail_dev.wechatpay_sandbox import finish_transfer

from .harness import handler, http_event
from .test_order_state_machine import _fresh_store

P = "o-machine-promoter"
EXAMPLES = int(os.environ.get("WITHDRAWAL_MACHINE_EXAMPLES", "15"))
STEPS = int(os.environ.get("WITHDRAWAL_MACHINE_STEPS", "30"))
ADMIN = Operator(operator_id="machine", role=Role.ADMIN)


def _notify(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
    return [handler("transfer_notify")(http_event(body, headers), {})["statusCode"]] * times


class Promoter(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.db = _fresh_store()
        self.db.users.insert_one({"_id": P, "first_seen_at": utcnow() - timedelta(days=30)})
        account_of(self.db, P)
        self.earned = self.reversed = self.moves = 0
        self.clock = timedelta(0)

    def _move(self, delta: int) -> None:
        self.moves += 1
        marker = f"ops.machine{self.moves}"
        move_balance(self.db, P, marker, delta)

    @rule(amount=st.integers(1, 900))
    def earn(self, amount: int) -> None:
        self._move(amount)
        self.earned += amount

    @rule(amount=st.integers(1, 900))
    def reverse(self, amount: int) -> None:
        self._move(-amount)
        self.reversed += amount

    @rule(amount=st.integers(100, 1_500))
    def withdraw(self, amount: int) -> None:
        with contextlib.suppress(RetailError):  # past the balance, a cap: refused, nothing taken
            withdraw(
                Withdraw(amount=amount), openid=P, transfers=wechat_pay_transfers(), db=self.db
            )

    @rule(amount=st.integers(100, 900))
    def die_before_taking(self, amount: int) -> None:
        real = module._claim

        def died(*_args: Any) -> Any:
            raise RuntimeError("process killed")

        module._claim = died  # type: ignore[assignment]
        try:
            withdraw(
                Withdraw(amount=amount), openid=P, transfers=wechat_pay_transfers(), db=self.db
            )
        except RuntimeError:
            pass
        finally:
            module._claim = real  # type: ignore[assignment]

    @rule(k=st.integers(0, 50), approve=st.booleans())
    def review(self, k: int, approve: bool) -> None:
        waiting = list(self.db.withdrawals.find({"state": "REVIEWING"}))
        if waiting:
            choice = waiting[k % len(waiting)]["_id"]
            decision = "approve" if approve else "reject"
            cmd = ReviewWithdrawal(withdrawal_id=choice, decision=decision)
            review_withdrawal(cmd, operator=ADMIN, transfers=wechat_pay_transfers(), db=self.db)

    @rule(
        k=st.integers(0, 50),
        ending=st.sampled_from(["SUCCESS", "FAIL", "CANCELLED"]),
        delivered=st.sampled_from([0, 1, 2]),
    )
    def wechat_pay_ends_a_bill(self, k: int, ending: str, delivered: int) -> None:
        open_bills = list(
            self.db.sandbox_wechatpay.find({"kind": "transfer", "state": "WAIT_USER_CONFIRM"})
        )
        if not open_bills:
            return
        bill = open_bills[k % len(open_bills)]["out_bill_no"]
        lost = lambda *_a: [0]  # noqa: E731 - the notification never arrives
        finish_transfer(bill, ending, send=_notify if delivered else lost)
        if delivered == 2:  # and WeChat Pay sends it again
            self.db.sandbox_wechatpay.update_one({"_id": "transfer:" + bill}, {"$set": {}})
            finish_transfer(bill, ending, send=_notify)

    @rule()
    def timer(self) -> None:
        self.clock += timedelta(minutes=3)
        travel(self.clock)
        try:
            sync_withdrawals(SyncWithdrawals(), transfers=wechat_pay_transfers(), db=self.db)
        finally:
            travel(timedelta(0))

    @invariant()
    def the_books_add_up(self) -> None:
        account = self.db[ACCOUNTS].find_one({"_id": P})
        fields = [account[k] for k in ("available", "withdrawing", "withdrawn", "debt")]
        assert min(fields) >= 0, account
        available, withdrawing, withdrawn, debt = fields
        assert available + withdrawing + withdrawn - debt == self.earned - self.reversed, account
        bills = [b["out_bill_no"] for b in self.db.sandbox_wechatpay.find({"kind": "transfer"})]
        assert len(bills) == len(set(bills))
        ended = sum(w["amount"] for w in self.db.withdrawals.find({"state": "WITHDRAWN"}))
        assert ended == withdrawn
        paid = sum(
            b["transfer_amount"]
            for b in self.db.sandbox_wechatpay.find({"kind": "transfer", "state": "SUCCESS"})
        )
        assert paid >= withdrawn  # WeChat Pay never paid less than the books say

    def teardown(self) -> None:
        self.timer()
        self.timer()
        account = self.db[ACCOUNTS].find_one({"_id": P})
        paid = sum(
            b["transfer_amount"]
            for b in self.db.sandbox_wechatpay.find({"kind": "transfer", "state": "SUCCESS"})
        )
        assert paid == account["withdrawn"], (paid, account)  # caught up: exactly what was paid
        travel(timedelta(0))


Promoter.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


@pytest.mark.usefixtures("seeded")
def test_a_promoters_books_add_up_under_generated_interleavings(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDER_MACHINE_DIR", str(tmp_path))
    monkeypatch.setenv("WECHATPAY_SANDBOX_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("RETAIL_WITHDRAW_DAY_CAP_FEN", "100000000")
    monkeypatch.setenv("RETAIL_WITHDRAW_MONTH_CAP_FEN", "100000000")
    monkeypatch.setenv("RETAIL_WITHDRAW_REVIEW_ABOVE_FEN", "1000")
    try:
        Promoter.TestCase("runTest").runTest()
    finally:
        wechatpay_config.cache_clear()
        wechatpay_client.cache_clear()
