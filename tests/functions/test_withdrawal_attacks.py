"""What a hostile review of paying promoters found (issue 31), each kept as a test: money moved
twice by calls that raced or died, caps passed together, refusals that kept the money, erasure
with money in flight, the real name kept in clear, stale claims."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

import retail.referral.withdrawal_bills as B
import retail.referral.withdrawals as W
from retail.common.clock import travel
from retail.common.database import database
from retail.common.errors import UpstreamUnavailable
from retail.common.settings import reset_settings
from retail_dev.wechatpay_sandbox import finish_transfer

from .harness import call, handler, http_event
from .test_withdrawals import (
    PROMOTER,
    account,
    allow_big_withdrawals,
    bills,
    notify,
    sync,
    withdraw,
)

pytestmark = pytest.mark.usefixtures("fresh_sandbox")
FULL = {"available": 100_000, "withdrawing": 0, "withdrawn": 0, "debt": 0}


class Proxy:
    """The store as one call sees it; `hook` runs once right after that call reads
    `collection` with find_one: what a concurrent call did in between."""

    def __init__(self, db: Any, collection: str, hook: Any) -> None:
        self._db, self._collection, self._hook = db, collection, hook

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __getattr__(self, name: str) -> Any:
        real = self._db[name]
        if name != self._collection:
            return real
        proxy = self

        class Coll:
            def __getattr__(self, attr: str) -> Any:
                return getattr(real, attr)

            def find_one(self, *a: Any, **k: Any) -> Any:
                doc = real.find_one(*a, **k)
                hook, proxy._hook = proxy._hook, None
                if hook is not None:
                    hook()
                return doc

        return Coll()


def later(minutes: int = 3) -> Any:
    class Later:
        def __enter__(self) -> None:
            travel(timedelta(minutes=minutes))

        def __exit__(self, *_: Any) -> None:
            travel(timedelta(0))

    return Later()


# 1. A crash in settle_balance (RETURNED) after `_out` is lifted, before balance_due is unset:
#    the timer takes the amount out of withdrawing a second time.
def test_a_crash_after_the_money_left_withdrawing_moves_it_once(promoter, monkeypatch):
    view = withdraw(700)["data"]
    real = B.mark

    def dying(db: Any, openid: str, marker: str, change: Any, condition: Any) -> bool:
        done = real(db, openid, marker, change, condition)
        if marker.endswith("_end_out"):
            raise RuntimeError("process killed")
        return done

    monkeypatch.setattr(B, "mark", dying)
    finish_transfer(view["withdrawal_id"], "FAIL", send=notify)  # the call dies: 500
    monkeypatch.undo()
    sync()  # the timer finishes what the call left
    assert account(promoter) == FULL


# 2. WeChat Pay's notification racing the timer (both see SUCCESS): each settles the balance
#    under the same marker, but the first lifts it before the second writes.
def test_notification_racing_the_timer_moves_the_money_twice(promoter, monkeypatch):
    view = withdraw(500)["data"]
    wid = view["withdrawal_id"]
    held: list[tuple[dict[str, str], str]] = []
    finish_transfer(wid, "SUCCESS", send=lambda _u, h, b, _t: held.append((h, b)) or [0])
    original = B.settle_balance
    first = [True]

    def timer_settles(db: Any, withdrawal_id: str) -> None:
        if not first[0]:
            return original(db, withdrawal_id)
        first[0] = False

        def notification_arrives() -> None:  # WeChat Pay's notification, handled meanwhile
            headers, body = held[0]
            assert handler("transfer_notify")(http_event(body, headers), {})["statusCode"] == 200

        return original(Proxy(db, "withdrawals", notification_arrives), withdrawal_id)

    monkeypatch.setattr(B, "settle_balance", timer_settles)
    with later():
        sync()  # the timer's query says SUCCESS
    assert promoter.withdrawals.find_one({"_id": wid})["state"] == "WITHDRAWN"
    assert account(promoter) == {"available": 99_500, "withdrawing": 0, "withdrawn": 500, "debt": 0}


# 3. A commission's credit applied by two calls at once (order_confirm and housekeeping_run, or
#    two order_confirm): the marker is lifted by the first before the second checks it.
def test_a_commission_credit_applied_by_two_calls_at_once_is_credited_twice(seeded):
    from retail.referral import settle_due_moves
    from retail.referral.balances import apply_moves

    from .test_commission_balance import credit_owed, invited_order, mine

    invited_order(seeded, "o-bob", "review-0001")
    entry = seeded.commissions.find_one({})
    # the order completed: the entry released, its credit owed (release_commission's first step)
    credit_owed(seeded, entry)
    # housekeeping reads the entry; meanwhile release_commission's apply_moves runs to its end
    apply_moves(Proxy(seeded, "commissions", lambda: settle_due_moves(seeded)), entry["_id"])
    assert mine()["totals"]["available"] == entry["amount"]


# 4. Two withdrawals at once both pass the daily cap.
def test_two_withdrawals_at_once_never_pass_the_daily_cap_together(promoter, monkeypatch):
    monkeypatch.setenv("RETAIL_WITHDRAW_DAY_CAP_FEN", "1000")
    reset_settings()
    both = threading.Barrier(2, timeout=10)
    real = W._refuse_over_caps

    def counted_together(*a: Any) -> None:
        both.wait()  # both written before either counts
        real(*a)

    monkeypatch.setattr(W, "_refuse_over_caps", counted_together)
    answers: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda: answers.append(withdraw(600))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a["code"] for a in answers)
    assert codes in (["FORBIDDEN", "FORBIDDEN"], ["FORBIDDEN", "OK"]), answers  # never both
    assert account(promoter)["withdrawing"] == 600 * codes.count("OK") <= 1000


# 5. WeChat Pay refusing a bill for good (a 4xx: 用户未实名, NO_AUTH, limits...) is taken for
#    "busy": the withdrawal stays TRANSFERRING and the money stays in withdrawing forever.
def test_a_bill_wechat_pay_refuses_for_good_never_gives_the_money_back(promoter, monkeypatch):
    import retail_dev.wechatpay_sandbox as sandbox

    monkeypatch.setattr(sandbox, "_transfer_refused", lambda _p: "该用户未完成实名认证")
    view = withdraw(500)["data"]
    for hours in (1, 25, 49):
        travel(timedelta(hours=hours))
        try:
            sync()
        finally:
            travel(timedelta(0))
    stored = promoter.withdrawals.find_one({"_id": view["withdrawal_id"]})
    assert stored["state"] != "TRANSFERRING", stored
    assert account(promoter)["withdrawing"] == 0


# 6. The payee's real name stays in clear in the withdrawal after it ended, and after erasure.
def test_the_real_name_is_kept_in_clear_after_the_withdrawal_and_the_erasure(promoter, monkeypatch):
    allow_big_withdrawals(promoter, monkeypatch)
    view = withdraw(200_000, real_name="张三")["data"]
    finish_transfer(view["withdrawal_id"], "SUCCESS", send=notify)
    assert call("user_delete", {"confirm": True}, PROMOTER)["code"] == "OK"
    with later(60 * 24 * 40):
        handler("housekeeping_run")({"Type": "Timer", "TriggerName": "housekeeping_run"}, {})
    leftovers = [w for w in promoter.withdrawals.find({}) if "张三" in str(w)]
    assert leftovers == []


# 7. Erasure while a transfer bill is still to be made: the timer asks WeChat Pay to pay the
#    pseudonym (a payee that does not exist), not the promoter, nor gives the money back.
def test_an_erasure_waits_for_a_withdrawal_whose_bill_is_not_made_yet(promoter, monkeypatch):
    from retail.payments.client import WeChatPayClient

    real = WeChatPayClient.create_transfer_bill

    def busy(*_a: Any, **_k: Any) -> Any:
        raise UpstreamUnavailable("WeChat Pay did not answer")

    monkeypatch.setattr(WeChatPayClient, "create_transfer_bill", busy)
    view = withdraw(500)["data"]
    assert view["status"] == "TRANSFERRING"
    refused = call("user_delete", {"confirm": True}, PROMOTER)
    assert refused["code"] == "CONFLICT"
    assert refused["details"]["withdrawal_ids"] == [view["withdrawal_id"]]
    monkeypatch.setattr(WeChatPayClient, "create_transfer_bill", real)
    with later():
        sync()
    payees = {b["openid"] for b in bills()}
    assert payees <= {PROMOTER}, payees


# 8. Erasure racing a notification: the account moved under the alias before the withdrawal
#    is; the returned money lands in a new account under the erased openid, and the alias
#    keeps it as withdrawing for ever; the erasure's second sweep then deletes the new account.
def test_a_commission_credited_during_erasure_is_kept_under_the_alias(promoter, monkeypatch):
    import retail.privacy.rights as rights
    from retail.referral.balances import move_balance

    view = withdraw(700)["data"]
    assert call("user_delete", {"confirm": True}, PROMOTER)["code"] == "CONFLICT"  # it waits
    finish_transfer(view["withdrawal_id"], "FAIL", send=notify)
    real = rights._promoter_account_as

    def moved_then_credited(db: Any, openid: str, alias: str) -> None:
        real(db, openid, alias)
        move_balance(db, openid, "ops.late_credit", 250)  # a call that read the old inviter

    monkeypatch.setattr(rights, "_promoter_account_as", moved_then_credited)
    assert call("user_delete", {"confirm": True}, PROMOTER)["code"] == "OK"
    monkeypatch.undo()
    print("after user_delete:", list(promoter.promoter_accounts.find({})))
    with later(60 * 24 * 40):
        handler("housekeeping_run")({"Type": "Timer", "TriggerName": "housekeeping_run"}, {})
        sync()
    accounts = list(promoter.promoter_accounts.find({}))
    assert [a["_id"] for a in accounts if a["_id"] == PROMOTER] == []  # nothing under the openid
    (kept,) = accounts
    assert {k: kept[k] for k in FULL} == {**FULL, "available": 100_250}, accounts


# 9. The timer's claim from a stale read (the call was slow, the timer read it CLAIMING): once
#    the withdrawal ended and its `_take` marker was lifted, the claim takes the amount again.
def test_a_stale_claim_after_the_end_takes_the_money_again(promoter):
    view = withdraw(500)["data"]
    stale = promoter.withdrawals.find_one({"_id": view["withdrawal_id"]})
    stale["state"] = "CLAIMING"  # as the timer's cursor read it, before the call's claim
    finish_transfer(view["withdrawal_id"], "SUCCESS", send=notify)
    W._claim(database(), stale)  # the timer gets to it
    assert account(promoter) == {"available": 99_500, "withdrawing": 0, "withdrawn": 500, "debt": 0}


def test_probe_inputs_never_500(promoter):
    odd = [
        {"amount": 100, "real_name": "  "},
        {"amount": 100, "device_id": "x" * 64},
        {"amount": 200_000, "real_name": "\u0000\u0000"},
        {"amount": 100, "extra": 1},
        {"amount": "100"},
        {"amount": 10_000_000, "real_name": "张三"},
    ]
    codes = [
        withdraw(**{}) if False else call("commission_withdraw", d, PROMOTER)["code"] for d in odd
    ]
    assert "INTERNAL" not in codes, codes
    for body in ("", "{}", "[]", '{"event_type": "MCHTRANSFER.BILL.FINISHED"}', "null"):
        reply = handler("transfer_notify")(http_event(body, {}), {})
        assert reply["statusCode"] < 500, (body, reply)


def test_a_notification_naming_another_payee_or_amount_changes_nothing(promoter):
    from retail.payments.config import wechatpay_config
    from retail_dev.wechatpay_wire import notification

    view = withdraw(500)["data"]
    genuine = {
        "out_bill_no": view["withdrawal_id"],
        "state": "SUCCESS",
        "mch_id": wechatpay_config().mchid,
        "transfer_amount": 500,
        "openid": PROMOTER,
    }
    for changed in ({"transfer_amount": 50_000}, {"openid": "o-someone-else"}, {"mch_id": "1"}):
        resource = {**genuine, **changed}
        headers, body = notification("MCHTRANSFER.BILL.FINISHED", "mch_payment", resource, "终态")
        assert handler("transfer_notify")(http_event(body, headers), {})["statusCode"] == 200
    stored = promoter.withdrawals.find_one({"_id": view["withdrawal_id"]})
    assert stored["state"] == "WAIT_USER_CONFIRM" and account(promoter)["withdrawn"] == 0
