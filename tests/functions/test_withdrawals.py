"""Promoters' withdrawals (issue 31 §2, §3): the available balance, taken once, paid through
WeChat Pay's merchant transfer (scene 1005) whose bill is the withdrawal's own id, confirmed by
the promoter, ended by WeChat Pay's notification or the timer's query: withdrawn, or the money
available again; large ones reviewed first; every rule refuses and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from retail.common.clock import travel, utcnow
from retail.common.errors import UpstreamUnavailable
from retail.common.settings import reset_settings
from retail_dev.platform_journal import calls
from retail_dev.wechatpay_sandbox import finish_transfer

from .harness import as_operator, call, handler, http_event
from .test_settlement_functions import cos  # noqa: F401 - the moto bucket fixture

pytestmark = pytest.mark.usefixtures("fresh_sandbox")
PROMOTER = "o-promoter"
BILLS = "/v3/fund-app/mch-transfer/transfer-bills"


def bills() -> list[dict[str, Any]]:
    """The transfer bills the back end asked WeChat Pay to make (its queries aside)."""
    return [c["body"] for c in calls(BILLS) if c["method"] == "POST"]


def account(db: Any) -> dict[str, int]:
    doc = db.promoter_accounts.find_one({"_id": PROMOTER})
    return {k: doc[k] for k in ("available", "withdrawing", "withdrawn", "debt")}


def withdraw(amount: int, **more: Any) -> dict[str, Any]:
    answer: dict[str, Any] = call("commission_withdraw", {"amount": amount, **more}, PROMOTER)
    return answer


def allow_big_withdrawals(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """3,000 yuan available, and caps and review thresholds above what a test withdraws."""
    for name, value in (
        ("RETAIL_WITHDRAW_DAY_CAP_FEN", "1000000"),
        ("RETAIL_WITHDRAW_REVIEW_ABOVE_FEN", "1000000"),
    ):
        monkeypatch.setenv(name, value)
    reset_settings()
    db.promoter_accounts.update_one({"_id": PROMOTER}, {"$set": {"available": 300_000}})


def notify(url: str, headers: dict[str, str], body: str, times: int) -> list[int]:
    reply = handler("transfer_notify")(http_event(body, headers), {})
    return [reply["statusCode"]] * times


def sync() -> dict[str, Any]:
    event = {"Type": "Timer", "TriggerName": "withdrawal_sync", "Time": "2026-01-01T00:00:00Z"}
    answer = handler("withdrawal_sync")(event, {})
    assert answer["code"] == "OK", answer
    data: dict[str, Any] = answer["data"]
    return data


def test_a_withdrawal_waits_for_the_promoter_then_is_withdrawn_once(promoter):
    answer = withdraw(500)
    assert answer["code"] == "OK", answer
    view = answer["data"]
    assert view["status"] == "WAIT_USER_CONFIRM" and view["package_info"]
    assert view["mch_id"] and view["app_id"]  # what wx.requestMerchantTransfer needs
    assert account(promoter) == {"available": 99_500, "withdrawing": 500, "withdrawn": 0, "debt": 0}
    (bill,) = bills()
    assert bill["out_bill_no"] == view["withdrawal_id"] and bill["openid"] == PROMOTER
    assert bill["transfer_scene_id"] == "1005" and bill["transfer_amount"] == 500
    assert {i["info_type"] for i in bill["transfer_scene_report_infos"]} == {"岗位类型", "报酬说明"}
    assert "user_name" not in bill  # under 2,000 yuan
    assert finish_transfer(view["withdrawal_id"], "SUCCESS", send=notify) == [200]
    assert finish_transfer(view["withdrawal_id"], "SUCCESS", send=notify) == [200]  # again
    assert account(promoter) == {"available": 99_500, "withdrawing": 0, "withdrawn": 500, "debt": 0}
    mine = call("commission_mine", {}, PROMOTER)["data"]["totals"]
    assert (mine["withdrawn"], mine["withdrawing"]) == (500, 0)


@pytest.mark.parametrize("ending", ["FAIL", "CANCELLED"])
def test_a_transfer_that_fails_or_is_cancelled_gives_the_money_back(promoter, ending):
    view = withdraw(700)["data"]
    finish_transfer(view["withdrawal_id"], ending, send=notify)
    stored = promoter.withdrawals.find_one({"_id": view["withdrawal_id"]})
    assert stored["state"] == "RETURNED"
    assert account(promoter) == {"available": 100_000, "withdrawing": 0, "withdrawn": 0, "debt": 0}


def test_a_returned_withdrawal_pays_a_debt_that_arose_meanwhile_first(promoter):
    view = withdraw(100_000 // 2)["data"]
    promoter.promoter_accounts.update_one({"_id": PROMOTER}, {"$set": {"available": 0, "debt": 30}})
    finish_transfer(view["withdrawal_id"], "FAIL", send=notify)
    assert account(promoter) == {
        "available": 50_000 - 30,
        "withdrawing": 0,
        "withdrawn": 0,
        "debt": 0,
    }


def test_more_than_available_is_refused_and_takes_nothing(promoter):
    refused = withdraw(100_001)
    assert refused["code"] == "CONFLICT" and refused["details"]["available"] == 100_000
    assert account(promoter)["available"] == 100_000 and bills() == []


def test_the_rules_refuse_and_write_nothing(promoter, monkeypatch):
    assert withdraw(99)["code"] == "INVALID_ARGUMENT"  # under the minimum (100 fen)
    monkeypatch.setenv("RETAIL_WITHDRAW_DAY_CAP_FEN", "1000")
    reset_settings()
    assert withdraw(600)["code"] == "OK"
    assert withdraw(600)["code"] == "FORBIDDEN"  # over today's cap
    promoter.users.update_one({"_id": PROMOTER}, {"$set": {"first_seen_at": utcnow()}})
    young = withdraw(100)
    assert young["code"] == "FORBIDDEN" and young["details"]["reason"] == "NEW_ACCOUNT"
    # refused by a rule: nothing taken (a cap's refusal is recorded, REFUSED)
    assert promoter.withdrawals.count_documents({"state": {"$ne": "REFUSED"}}) == 1
    assert call("commission_withdraw", {"amount": 100}, None)["code"] == "UNAUTHENTICATED"


def test_a_blacklisted_promoter_is_refused(promoter):
    listed = {"kind": "openid", "value": PROMOTER, "listed": True, "reason": "brushing"}
    assert as_operator("blacklist_update", listed)["code"] == "OK"
    refused = withdraw(100)
    assert refused["code"] == "FORBIDDEN" and refused["details"]["reason"] == "RISK_BLOCKED"
    assert account(promoter)["available"] == 100_000


def test_from_two_thousand_yuan_the_real_name_goes_to_wechat_pay_encrypted(promoter, monkeypatch):
    allow_big_withdrawals(promoter, monkeypatch)
    assert withdraw(200_000)["code"] == "INVALID_ARGUMENT"  # the real name is needed
    view = withdraw(200_000, real_name="张三")["data"]
    assert view["status"] == "WAIT_USER_CONFIRM"
    (bill,) = bills()
    assert bill["user_name"] and "张三" not in str(bill)


def test_a_large_withdrawal_waits_for_an_operator(promoter):
    promoter.promoter_accounts.update_one({"_id": PROMOTER}, {"$set": {"available": 200_000}})
    big = withdraw(60_000)["data"]
    assert big["status"] == "REVIEWING" and bills() == []
    queue = as_operator("withdrawal_queue", {"status": "REVIEWING"})["data"]["withdrawals"]
    assert [w["withdrawal_id"] for w in queue] == [big["withdrawal_id"]]
    decide = {"withdrawal_id": big["withdrawal_id"], "decision": "approve"}
    assert as_operator("withdrawal_review", decide, "service")["code"] == "FORBIDDEN"
    approved = as_operator("withdrawal_review", decide)
    assert approved["data"]["status"] == "WAIT_USER_CONFIRM" and len(bills()) == 1
    assert as_operator("withdrawal_review", decide)["code"] == "CONFLICT"  # decided once
    other = withdraw(60_000)["data"]
    rejected = as_operator(
        "withdrawal_review", {"withdrawal_id": other["withdrawal_id"], "decision": "reject"}
    )
    assert rejected["data"]["status"] == "REJECTED"
    assert account(promoter) == {
        "available": 140_000,
        "withdrawing": 60_000,
        "withdrawn": 0,
        "debt": 0,
    }


def test_a_bill_wechat_pay_could_not_take_is_made_by_the_timer_with_the_same_number(
    promoter, monkeypatch
):
    from retail.payments.client import WeChatPayClient

    real = WeChatPayClient.create_transfer_bill

    def busy(*_args: Any, **_kwargs: Any) -> Any:
        raise UpstreamUnavailable("WeChat Pay did not answer")

    monkeypatch.setattr(WeChatPayClient, "create_transfer_bill", busy)
    view = withdraw(500)["data"]
    assert view["status"] == "TRANSFERRING" and view["package_info"] is None
    monkeypatch.setattr(WeChatPayClient, "create_transfer_bill", real)
    assert sync()["looked_at"] == 0  # a call may still be working on it
    travel(timedelta(minutes=3))
    try:
        assert sync()["looked_at"] == 1
    finally:
        travel(timedelta(0))
    stored = promoter.withdrawals.find_one({"_id": view["withdrawal_id"]})
    assert stored["state"] == "WAIT_USER_CONFIRM" and stored["package_info"]
    asked = [c for c in calls(BILLS) if c["method"] == "POST"]
    assert [c["body"]["out_bill_no"] for c in asked] == [view["withdrawal_id"]]


def test_a_claim_a_crash_interrupted_is_finished_once_by_the_timer(promoter, monkeypatch):
    import retail.referral.withdrawals as withdrawals

    def died(*_args: Any) -> Any:
        raise RuntimeError("process killed")

    monkeypatch.setattr(withdrawals, "_claim", died)
    assert withdraw(500)["code"] == "INTERNAL"
    monkeypatch.undo()
    (stuck,) = promoter.withdrawals.find({"state": "CLAIMING"})
    travel(timedelta(minutes=3))
    try:
        sync()
        sync()
    finally:
        travel(timedelta(0))
    assert promoter.withdrawals.find_one({"_id": stuck["_id"]})["state"] == "TRANSFERRING"
    assert account(promoter)["withdrawing"] == 500 and account(promoter)["available"] == 99_500


def test_the_timer_ends_a_bill_whose_notification_was_lost(promoter):
    view = withdraw(500)["data"]
    finish_transfer(view["withdrawal_id"], "SUCCESS", send=lambda *_a: [0])  # never arrived
    travel(timedelta(minutes=3))
    try:
        sync()
    finally:
        travel(timedelta(0))
    assert promoter.withdrawals.find_one({"_id": view["withdrawal_id"]})["state"] == "WITHDRAWN"
    assert account(promoter)["withdrawn"] == 500


def test_a_forged_transfer_notification_changes_nothing(promoter):
    view = withdraw(500)["data"]
    captured: list[tuple[dict[str, str], str]] = []
    finish_transfer(
        view["withdrawal_id"], "SUCCESS", send=lambda _u, h, b, _t: captured.append((h, b)) or [0]
    )
    headers, body = captured[0]
    forged = body.replace('"id": "', '"id": "X')  # any change breaks WeChat Pay's signature
    reply = handler("transfer_notify")(http_event(forged, headers), {})
    assert reply["statusCode"] == 401
    assert (
        promoter.withdrawals.find_one({"_id": view["withdrawal_id"]})["state"]
        == "WAIT_USER_CONFIRM"
    )


def test_the_quarterly_income_report_lists_what_wechat_pay_paid_each_promoter(promoter, cos):  # noqa: F811
    paid = withdraw(500)["data"]
    finish_transfer(paid["withdrawal_id"], "SUCCESS", send=notify)
    failed = withdraw(300)["data"]
    finish_transfer(failed["withdrawal_id"], "FAIL", send=notify)
    in_q3 = utcnow().replace(year=2026, month=8, day=15)
    promoter.withdrawals.update_many({}, {"$set": {"ended_at": in_q3}})
    refused = as_operator("commission_report", {"quarter": "2099Q1"})
    assert refused["code"] == "INVALID_ARGUMENT" and refused["details"]["reason"] == "DAY_NOT_ENDED"
    assert as_operator("commission_report", {"quarter": "2026Q3"}, "service")["code"] == "FORBIDDEN"
    report = as_operator("commission_report", {"quarter": "2026Q3"})["data"]
    assert (report["promoters"], report["paid_fen"]) == (1, 500)
    text = cos.get_object(Bucket="statements-1250000000", Key=report["key"])["Body"].read().decode()
    assert text.splitlines()[1] == f"2026Q3,{PROMOTER},,1,5.00,0.00"
    empty = as_operator("commission_report", {"quarter": "2026Q2"})["data"]
    assert (empty["promoters"], empty["paid_fen"]) == (0, 0)
