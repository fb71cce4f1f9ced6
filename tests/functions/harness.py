"""Calling a function's main_handler exactly as SCF would, with events from tests/events/."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests" / "events"
_loaded: dict[str, Any] = {}


def handler(name: str) -> Any:
    if name not in _loaded:
        spec = importlib.util.spec_from_file_location(
            f"fn_{name}", ROOT / "functions" / name / "index.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded[name] = module.main_handler
    return _loaded[name]


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def cloudbase_context(openid: str | None = "o-test-user", **extra: str) -> dict[str, Any]:
    """The context CloudBase passes a mini-program call: WX_* and TCB_* values in the
    `environment` JSON string (shaped like tests/events/platform/cloudbase_call_context.json)."""
    env = {
        "WX_CONTEXT_KEYS": "WX_APPID,WX_CLIENTIP",
        "WX_APPID": "wx-test",
        "WX_CLIENTIP": "10.0.0.1",
        "TCB_CONTEXT_KEYS": "TCB_ENV,TRIGGER_SRC,TCB_SOURCE",
        "TCB_ENV": "test-env",
        "TRIGGER_SRC": "tcb",
        "TCB_SOURCE": "wx_client",
    }
    if openid:
        env["WX_CONTEXT_KEYS"] += ",WX_OPENID"
        env["WX_OPENID"] = openid
    env.update(extra)
    return {"request_id": "req-test", "function_name": "test", "environment": json.dumps(env)}


def call(name: str, data: dict[str, Any], openid: str | None = "o-test-user") -> dict[str, Any]:
    """Call as the buyer `openid`. A buyer previewing or placing an order with an address has
    given both privacy consents first, as the app asks before it sends one (tests/functions/
    test_risk_and_consent.py covers a buyer who has not)."""
    with_address = isinstance(data, dict) and data.get("address")
    if name in ("order_place", "order_preview") and openid and with_address:
        consent(openid)
    context = {**cloudbase_context(openid), "function_name": name}
    answer: dict[str, Any] = handler(name)(data, context)
    return answer


def consent(openid: str) -> None:
    """`openid` accepts the current privacy policy and the separate consent to share contact
    details with merchants and riders (a no-op once given)."""
    from retail.common.settings import settings
    from retail.consent import AcceptPolicy, accept_policy

    version = settings().RETAIL_PRIVACY_POLICY_VERSION
    accept_policy(AcceptPolicy(version=version, share_contact=True), openid=openid)


def http_event(
    body: str,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = sample("http_trigger")
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    event["headers"].update(headers or {})
    event["body"] = body
    event["queryString"] = dict(query or {})
    return event


def push_to_platform_event(query: dict[str, str], body: str) -> int:
    """One message push, as WeChat's server sends it, to platform_event; its HTTP status."""
    status: int = handler("platform_event")(http_event(body, query=query), {})["statusCode"]
    return status


def deliver_wechat_pushes() -> list[int]:
    """Everything the local WeChat has to push (media-check results, ...), delivered now."""
    from retail_dev.wechat_push_sender import deliver_pushes

    return deliver_pushes(push_to_platform_event)


def as_operator(name: str, data: Any, role: str = "admin", operator_id: str = "op1") -> Any:
    """Call an operator function as the dev gateway's X-Dev-Operator header would."""
    context = {"RETAIL_DEV_OPERATOR": f"{operator_id}:{role}", "environment": "{}"}
    return handler(name)(data, context)


def paid_order(key: str, openid: str = "o-test-user", **changes: Any) -> dict[str, Any]:
    """An order placed from the sample (with `changes`) by `openid`, paid in full."""
    from retail.common.database import database
    from retail.orders import mark_paid

    data = {**sample("order_place"), "idempotency_key": key, **changes}
    placed = call("order_place", data, openid)
    assert placed["code"] == "OK", placed
    order: dict[str, Any] = placed["data"]
    assert mark_paid(database(), order["order_id"], f"TX-{key}", order["total"])
    return order


def completed_order(key: str, openid: str = "o-test-user", **changes: Any) -> dict[str, Any]:
    """A paid order shipped by an admin and confirmed by its buyer."""
    order = paid_order(key, openid, **changes)
    ship = {"order_id": order["order_id"], "carrier": "SF", "tracking_no": f"SF{key}"}
    assert as_operator("order_ship", ship)["code"] == "OK"
    assert receive(order["order_id"], openid)["code"] == "OK"
    return order


def receive(order_id: str, openid: str = "o-test-user") -> dict[str, Any]:
    """The buyer confirms receipt; where WeChat holds the payment (the back end answers
    CONFIRM_AT_WECHAT, naming it), first in WeChat's component, whose settlement push is
    delivered: each payment of a combined one in turn."""
    from retail_dev.wechat_shipping import confirm_receive

    answer = call("order_confirm", {"order_id": order_id}, openid)
    confirmed: list[str] = []
    while answer.get("details", {}).get("reason") == "CONFIRM_AT_WECHAT":
        payment = answer["details"]["transaction_id"]
        assert payment not in confirmed, answer  # the same payment asked for twice
        assert confirm_receive(payment, send=push_to_platform_event) == [200]
        confirmed.append(payment)
        answer = call("order_confirm", {"order_id": order_id}, openid)
    return answer


def finish_erasures() -> Any:
    """Run housekeeping_run once the erasures' grace has passed, as the timer would, so each
    erasure's second sweep is done and its account tombstone gone."""
    from datetime import timedelta

    from retail.common.clock import travel
    from retail.privacy.rights import ERASURE_GRACE

    travel(ERASURE_GRACE + timedelta(seconds=1))
    try:
        event = {"Type": "Timer", "TriggerName": "housekeeping", "Time": "2026-01-01T00:00:00Z"}
        answer = handler("housekeeping_run")(event, {})
    finally:
        travel(timedelta(0))
    assert answer["code"] == "OK", answer
    return answer["data"]


BUYER = "o-test-user"


class Crash(Exception):
    """The process dying at a fault point."""


def place(key: str, **changes: Any) -> dict[str, Any]:
    """The buyer's order_place answer for the sample order (with `changes`)."""
    return call("order_place", {**sample("order_place"), "idempotency_key": key, **changes})


def wechat_pay_took(db: Any, out_trade_no: str) -> dict[str, Any]:
    """WeChat Pay (the sandbox) took the money, no notification sent yet: the transaction as
    WeChat Pay's query would give it."""
    from datetime import datetime, timedelta, timezone

    paid = datetime.now(timezone(timedelta(hours=8))).isoformat(timespec="seconds")
    db.sandbox_wechatpay.update_one(
        {"_id": f"pay:{out_trade_no}"},
        {
            "$set": {
                "trade_state": "SUCCESS",
                "transaction_id": f"42{out_trade_no}",
                "success_time": paid,
            }
        },
    )
    record = db.sandbox_wechatpay.find_one({"_id": f"pay:{out_trade_no}"})
    return {k: v for k, v in record.items() if k not in ("_id", "kind", "notify_url")}


def paid_through_wechat_pay(db: Any, key: str, **changes: Any) -> dict[str, Any]:
    """The buyer's order, prepaid and paid through the sandbox's transaction, applied."""
    from retail.payments.config import wechatpay_config
    from retail.payments.transactions import apply_transaction

    order: dict[str, Any] = place(key, **changes)["data"]
    call("payment_prepay", {"order_id": order["order_id"]})
    tx = wechat_pay_took(db, order["out_trade_no"])
    assert apply_transaction(db, wechatpay_config(), tx) == "paid"
    return order
