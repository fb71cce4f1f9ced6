"""What a second hostile review of paying promoters found (issue 31), each kept as a test: an
erasure racing a withdrawal, an erasure dying while it moves the balance, a credit landing
during the move, a call dying before the caps were counted, markers a late finish still needs,
the real name of a refused withdrawal, and what the quarterly report must count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import retail.privacy.rights as rights
import retail.referral.withdrawals as W
from retail.common.clock import travel, utcnow
from retail.common.database import database
from retail.common.settings import reset_settings
from retail.referral.balances import move_balance
from retail_dev.wechatpay_sandbox import finish_transfer

from .harness import as_operator, call, handler
from .test_settlement_functions import cos  # noqa: F401
from .test_withdrawals import PROMOTER, bills, notify, sync, withdraw

pytestmark = pytest.mark.usefixtures("fresh_sandbox")
FIELDS = ("available", "withdrawing", "withdrawn", "debt")


def books(db: Any) -> int:
    """available + withdrawing + withdrawn - debt over every promoter account."""
    return sum(
        a["available"] + a["withdrawing"] + a["withdrawn"] - a["debt"]
        for a in db.promoter_accounts.find({})
    )


def swap(owner: Any, name: str, value: Any) -> Any:
    """Patch one attribute; the returned function puts it back (monkeypatch.undo() would
    also undo the autouse isolated_env: its chdir and RETAIL_DB_URI)."""
    old = getattr(owner, name)
    setattr(owner, name, value)
    return lambda: setattr(owner, name, old)


class Later:
    def __init__(self, minutes: int = 3) -> None:
        self.minutes = minutes

    def __enter__(self) -> None:
        travel(timedelta(minutes=self.minutes))

    def __exit__(self, *_: Any) -> None:
        travel(timedelta(0))


def housekeeping() -> None:
    handler("housekeeping_run")({"Type": "Timer", "TriggerName": "housekeeping_run"}, {})


class Db:
    """The store, with promoter_accounts' methods wrapped."""

    def __init__(self, db: Any, wrap: dict[str, Any]) -> None:
        self._db, self._wrap = db, wrap

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def __getattr__(self, name: str) -> Any:
        real = self._db[name]
        if name != "promoter_accounts":
            return real
        wrap = self._wrap

        class Coll:
            def __getattr__(self, attr: str) -> Any:
                if attr in wrap:
                    return lambda *a, **k: wrap[attr](real, *a, **k)
                return getattr(real, attr)

        return Coll()


# R1. The real name stays in clear for ever in a withdrawal refused (over the balance or a
#     cap): only an ended withdrawal (settle_balance) or an erasure drops it.
@pytest.mark.parametrize("why", ["balance", "cap"])
def test_a_refused_withdrawal_keeps_no_real_name_in_clear(promoter, monkeypatch, why):
    monkeypatch.setenv("RETAIL_WITHDRAW_REVIEW_ABOVE_FEN", "1000000")
    monkeypatch.setenv("RETAIL_WITHDRAW_DAY_CAP_FEN", "1000000" if why == "balance" else "100")
    reset_settings()
    answer = withdraw(200_000, real_name="张三丰")
    assert answer["code"] in ("CONFLICT", "FORBIDDEN"), answer
    with Later(60 * 24 * 3):  # days later, the timers ran
        sync()
        housekeeping()
    clear = [
        (w["state"], w.get("real_name"))
        for w in promoter.withdrawals.find({})
        if "张三丰" in str(w)
    ]
    assert clear == [], clear


# R2. Erasure: a credit landing on the promoter's account while the first sweep moves it
#     (after its read, before its delete) is deleted with the account: money vanishes.
def test_a_credit_during_the_account_move_is_not_lost(promoter, monkeypatch):
    real = rights._promoter_account_as
    before = books(promoter)

    def racing(real_coll: Any, doc: Any, *a: Any, **k: Any) -> Any:
        # a release_commission that read the entry before the sweep re-pointed it
        move_balance(database(), PROMOTER, "ops.first_order_X_credit", 250)
        return real_coll.insert_one(doc, *a, **k)

    def sweep(db: Any, openid: str, alias: str) -> None:
        real(Db(db, {"insert_one": racing}), openid, alias)

    restore = swap(rights, "_promoter_account_as", sweep)
    assert call("user_delete", {"confirm": True}, PROMOTER)["code"] == "OK"
    restore()
    with Later(60 * 24 * 40):
        housekeeping()
    print(list(promoter.promoter_accounts.find({})))
    assert books(promoter) == before + 250


# R3. Erasure dies between writing the account under the alias and deleting the old one:
#     the retry (or the housekeeping sweep) copies the whole balance a second time.
@pytest.mark.parametrize("then", ["user_retries", "housekeeping"])
def test_an_erasure_that_died_mid_move_does_not_double_the_balance(promoter, monkeypatch, then):
    real = rights._promoter_account_as
    before = books(promoter)

    def dying(_real_coll: Any, *_a: Any, **_k: Any) -> Any:
        raise RuntimeError("process killed")

    def sweep(db: Any, openid: str, alias: str) -> None:
        real(Db(db, {"delete_one": dying}), openid, alias)

    restore = swap(rights, "_promoter_account_as", sweep)
    assert call("user_delete", {"confirm": True}, PROMOTER)["code"] == "INTERNAL"
    restore()
    if then == "user_retries":
        assert call("user_delete", {"confirm": True}, PROMOTER)["code"] == "OK"
    with Later(60 * 24 * 40):
        housekeeping()
    print(list(promoter.promoter_accounts.find({})))
    assert books(promoter) == before


# R4. A call that died after writing its withdrawal, before counting the caps: the timer
#     claims and pays it without any cap.
def test_the_timer_never_pays_a_withdrawal_over_the_daily_cap(promoter, monkeypatch):
    monkeypatch.setenv("RETAIL_WITHDRAW_DAY_CAP_FEN", "1000")
    reset_settings()

    def died(*_a: Any) -> None:
        raise RuntimeError("process killed (or the function's 10 s timeout)")

    restore = swap(W, "_refuse_over_caps", died)
    assert withdraw(30_000)["code"] == "INTERNAL"
    restore()
    with Later():
        sync()  # the timer claims what the call left
    with Later(8):
        sync()  # its next run makes the bill
    (left,) = promoter.withdrawals.find({})
    made = [b["transfer_amount"] for b in bills()]
    taken = promoter.promoter_accounts.find_one({"_id": PROMOTER})["withdrawing"]
    state = promoter.withdrawals.find_one({"_id": left["_id"]})["state"]
    assert sum(made) <= 1000 and taken <= 1000, (made, taken, state)


def _report_rows(cos: Any, quarter: str) -> list[str]:  # noqa: F811
    report = as_operator("commission_report", {"quarter": quarter})
    assert report["code"] == "OK", report
    key = report["data"]["key"]
    text = cos.get_object(Bucket="statements-1250000000", Key=key)["Body"].read().decode()
    return text.splitlines()[1:]


# R5. commission_report: a commission reversed after payout is reported only for a promoter
#     also paid in the same quarter; paid in Q2, reversed in Q3 -> in no report at all.
def test_a_reversal_after_payout_is_reported_even_without_a_payment_that_quarter(
    promoter,
    cos,  # noqa: F811
):
    in_q2 = utcnow().replace(year=2026, month=5, day=15)
    in_q3 = utcnow().replace(year=2026, month=8, day=15)
    paid = withdraw(500)["data"]
    finish_transfer(paid["withdrawal_id"], "SUCCESS", send=notify)
    promoter.withdrawals.update_many({}, {"$set": {"ended_at": in_q2}})
    promoter.commissions.insert_one(
        {
            "_id": "first_order:ORDERQ2000001",
            "inviter": PROMOTER,
            "invitee": "o-x",
            "order_id": "ORDERQ2000001",
            "amount": 500,
            "status": "REVERSED",
            "created_at": in_q2,
            "released_at": in_q2,
            "reversed_at": in_q3,
        }
    )
    assert _report_rows(cos, "2026Q2") == [f"2026Q2,{PROMOTER},,1,5.00,0.00"]
    rows = _report_rows(cos, "2026Q3")
    assert any(r.startswith(f"2026Q3,{PROMOTER},") and r.endswith(",5.00") for r in rows), rows


# R5b. A parcel refunded after payout takes money back (a debit, into debt) but the report's
#      "reversed after payout" never counts it: reduce_commission stamps no date.
def test_a_parcel_refund_after_payout_is_reported(promoter, cos):  # noqa: F811
    from retail.referral.commissions import reduce_commission

    promoter.promoter_accounts.update_one({"_id": PROMOTER}, {"$set": {"available": 0}})
    promoter.commissions.insert_one(
        {
            "_id": "first_order:ORDERQ4000001",
            "inviter": PROMOTER,
            "invitee": "o-x",
            "order_id": "ORDERQ4000001",
            "amount": 40_000,
            "status": "AVAILABLE",
            "created_at": utcnow() - timedelta(days=20),
            "released_at": utcnow() - timedelta(days=20),
        }
    )
    move_balance(promoter, PROMOTER, "ops.first_order_ORDERQ4000001_credit", 40_000)
    paid = withdraw(40_000)["data"]
    finish_transfer(paid["withdrawal_id"], "SUCCESS", send=notify)  # all of it paid out
    reduce_commission(promoter, "ORDERQ4000001", "m-1", 400_000)  # a parcel: 20,000 fen back
    acc = promoter.promoter_accounts.find_one({"_id": PROMOTER})
    assert (acc["withdrawn"], acc["debt"]) == (40_000, 20_000)
    rows = [r for r in _report_rows_ended(cos, "2026Q4") if f",{PROMOTER}," in r]
    assert rows == [f"2026Q4,{PROMOTER},,1,400.00,200.00"], rows


def _report_rows_ended(cos: Any, quarter: str) -> list[str]:  # noqa: F811
    with Later(60 * 24 * 30):  # the quarter has ended
        return _report_rows(cos, quarter)


# R6. Marker pruning drops a claim's `_take` marker that the timer still needs: a call died
#     after taking the money, before moving the withdrawal on; a day later (the timer was
#     down, or failing) any update of the account prunes `_take`, and the timer takes the
#     amount a second time. The books add up, but the promoter's money sits in `withdrawing`
#     for ever.
def test_a_claim_finished_late_takes_the_money_once(promoter, monkeypatch):
    real = W.mark

    def dying(db: Any, openid: str, marker: str, change: Any, condition: Any) -> bool:
        done = real(db, openid, marker, change, condition)
        if marker.endswith("_take"):
            raise RuntimeError("process killed")
        return done

    restore = swap(W, "mark", dying)
    assert withdraw(500)["code"] == "INTERNAL"
    restore()
    with Later(60 * 26):
        move_balance(database(), PROMOTER, "ops.first_order_Y_credit", 100)  # a commission
        sync()
    (w,) = promoter.withdrawals.find({})
    finish_transfer(w["_id"], "SUCCESS", send=notify) if w.get("bill_sent") else None
    acc = promoter.promoter_accounts.find_one({"_id": PROMOTER})
    assert (acc["available"], acc["withdrawing"]) == (100_000 - 500 + 100, 500), acc


# R7. Erasure racing a withdrawal: commission_withdraw checks `erasing` only before it writes
#     (order_place re-reads the mark after writing its order). Interleaving: withdraw reads the
#     user (not erasing) -> user_delete marks and finds no open withdrawal -> withdraw writes
#     and takes the money -> user_delete sweeps (account and withdrawal under the alias, the
#     withdrawal's real_name field $unset) -> withdraw makes the bill: KeyError 'real_name',
#     a 500; and the withdrawal_sync timer then dies on that withdrawal at every run (it is
#     always the oldest), so no other promoter's withdrawal is ever finished by the timer.
def test_a_withdrawal_racing_an_erasure_breaks_nothing(promoter, monkeypatch):
    real_transfer = W.make_bill
    erased: list[dict[str, Any]] = []

    def erasure_sweeps_now(db: Any, withdrawal_id: str, transfers: Any) -> None:
        with monkeypatch.context() as m:  # its check ran before this withdrawal was written
            m.setattr(rights, "withdrawals_in_progress", lambda *_a: [])
            erased.append(call("user_delete", {"confirm": True}, PROMOTER))
        real_transfer(db, withdrawal_id, transfers)

    restore = swap(W, "make_bill", erasure_sweeps_now)
    answer = withdraw(500)
    restore()
    assert erased[0]["code"] == "OK", erased
    # another promoter, whose bill's notification is lost: the timer must end it
    promoter.users.insert_one({"_id": "o-other", "first_seen_at": utcnow() - timedelta(days=30)})
    promoter.promoter_accounts.insert_one(
        {"_id": "o-other", "available": 1_000, "withdrawing": 0, "withdrawn": 0, "debt": 0}
    )
    other = call("commission_withdraw", {"amount": 500}, "o-other")["data"]
    print("OTHER", other)
    finish_transfer(other["withdrawal_id"], "SUCCESS", send=lambda *_a: [0])  # lost
    runs = []
    for minutes in (3, 8, 13):
        with Later(minutes):
            event = {"Type": "Timer", "TriggerName": "withdrawal_sync"}
            runs.append(handler("withdrawal_sync")(event, {})["code"])
    ended = promoter.withdrawals.find_one({"_id": other["withdrawal_id"]})["state"]
    payees = {b["openid"] for b in bills()}
    assert (answer["code"], runs, ended) == ("OK", ["OK"] * 3, "WITHDRAWN"), (answer, runs, ended)
    assert not any(p.startswith("erased-") for p in payees), payees


# R6b. The same for a commission's credit: the balance took it, the call died before lifting
#      `moves.credit`; housekeeping runs more than a day later (it was failing, or the
#      deployment was down) after any other update of the account pruned the marker: the
#      commission is credited twice.
def test_a_credit_finished_late_is_credited_once(seeded):
    from retail.referral import settle_due_moves
    from retail.referral.balances import marker_of

    from .test_commission_balance import credit_owed, invited_order, mine

    invited_order(seeded, "o-bob", "review-late-1")
    entry = seeded.commissions.find_one({})
    credit_owed(seeded, entry)
    move_balance(seeded, "o-alice", marker_of(entry["_id"], "credit"), entry["amount"])  # died
    with Later(60 * 26):
        move_balance(seeded, "o-alice", "ops.some_other_entry_credit", 1)  # any later update
        settle_due_moves(seeded)
    assert mine()["totals"]["available"] == entry["amount"] + 1
