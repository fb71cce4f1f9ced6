"""The handlers on the platforms' own documented events and contexts (tests/events/platform/),
and the attacks that pretend to be a platform: only the platform's context says who called."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from retail.common.ratelimit import forget_limits
from retail.common.settings import reset_settings

from ..conftest import business_state
from .harness import call, cloudbase_context, handler

PLATFORM = Path(__file__).resolve().parents[1] / "events" / "platform"
TIMERS = [
    "analytics_rollup",
    "bill_reconcile",
    "coupon_lapsed",
    "group_expire",
    "housekeeping_run",
    "order_autoconfirm",
    "order_expire",
    "order_repair",
    "payment_reconcile",
    "profit_sharing_run",
    "recommend_rebuild",
    "settlement_run",
    "shipping_sync",
    "withdrawal_sync",
]
WEBHOOKS = [
    "delivery_notify",
    "payment_notify",
    "platform_event",
    "refund_notify",
    "transfer_notify",
]


def golden(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((PLATFORM / f"{name}.json").read_text(encoding="utf-8"))
    doc.pop("_source")
    return copy.deepcopy(doc)


def limits(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RETAIL_RATE_LIMITS", value)
    reset_settings()
    forget_limits()


def timer_event(message: str = "") -> dict[str, Any]:
    return {**golden("scf_timer_event"), "Message": message}


@pytest.mark.parametrize("name", TIMERS)
@pytest.mark.parametrize("context", ["scf_context", "cloudbase_timer_context"])
def test_every_timer_runs_on_the_documented_timer_event(seeded, name, context):
    answer = handler(name)(timer_event(), golden(context))
    assert answer["code"] == "OK", answer
    documented = handler(name)(golden("scf_timer_event"), golden(context))
    assert documented["code"] == "INVALID_ARGUMENT"  # a timer: its free-text Message is read
    assert "timer Message" in documented["message"]


@pytest.mark.parametrize("name", TIMERS)
@pytest.mark.parametrize(
    "context",
    [
        "cloudbase_call_context",
        "cloudbase_call_context_json",
        {"environment": json.dumps({"TCB_SOURCE": "wx_client"})},
        {"environment": json.dumps({"TCB_SOURCE": "wx_trigger", "WX_OPENID": "o-attacker"})},
    ],
    ids=["environ", "environment", "client-source", "timer-source-with-a-caller"],
)
def test_a_client_sending_a_timer_shaped_event_runs_no_timer(seeded, name, context, capsys):
    before = business_state(seeded)
    forged = timer_event('{"day": "2030-01-01"}')
    platform = golden(context) if isinstance(context, str) else context
    answer = handler(name)(forged, platform)
    assert answer["code"] == "UNAUTHENTICATED"
    assert business_state(seeded) == before
    line = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert line["event"] == "platform_fields_forged" and line["forged"] == ["event shape"]


@pytest.mark.parametrize("caller", [{"WX_OPENID": "o-attacker"}, {"TCB_SOURCE": "wx_client"}])
def test_a_caller_in_the_process_environment_is_not_hidden_by_the_context(
    seeded, caller, monkeypatch
):
    """A runtime may put the caller's keys in the process environment: a context whose
    `environment` carries something else must not make that call a timer."""
    for key, value in caller.items():
        monkeypatch.setenv(key, value)
    before = business_state(seeded)
    context = {"environment": json.dumps({"SCF_NAMESPACE": "env-1"})}
    answer = handler("settlement_run")(timer_event('{"day": "2030-01-01"}'), context)
    assert answer["code"] == "UNAUTHENTICATED"
    assert business_state(seeded) == before


def test_the_settlement_attack_through_a_mini_program_call_writes_no_statement(seeded):
    forged = {"Type": "timer", "TriggerName": "x", "Message": '{"day": "2030-01-01"}'}
    assert call("settlement_run", forged)["code"] == "UNAUTHENTICATED"
    assert seeded.statements.count_documents({}) == 0


@pytest.mark.usefixtures("a_fresh_minute")
def test_a_timer_shaped_sign_in_is_refused_and_the_sign_in_budget_holds(seeded):
    """Detected as a timer, these calls once skipped every rate limit (60 of 60 accepted);
    operator_login's budget is 20 a minute."""
    before = business_state(seeded)
    forged = {**timer_event(), "operator_id": "admin", "password": "guess"}
    assert {call("operator_login", forged)["code"] for _ in range(5)} == {"INVALID_ARGUMENT"}
    assert business_state(seeded) == before
    answers = [
        call("operator_login", {"operator_id": f"admin{n}", "password": "guess"})["code"]
        for n in range(25)
    ]
    assert answers[:20] == ["UNAUTHENTICATED"] * 20 and set(answers[20:]) == {"RATE_LIMITED"}


@pytest.mark.parametrize("name", WEBHOOKS)
def test_webhooks_refuse_an_http_shaped_event_sent_as_a_mini_program_call(seeded, name):
    before = business_state(seeded)
    event = golden("apigw_event")
    assert handler(name)(event, golden("cloudbase_call_context_json"))["code"] == (
        "UNAUTHENTICATED"
    )
    assert business_state(seeded) == before


def test_an_http_shaped_event_from_a_client_cannot_choose_its_client_ip(seeded, capsys):
    fake = {
        "httpMethod": "POST",
        "headers": {"x-forwarded-for": "9.9.9.9", "x-scf-remote-addr": "9.9.9.9"},
        "requestContext": {"sourceIp": "8.8.8.8"},
        "body": '{"product_id": "p-mango"}',
    }
    answer = handler("catalog_product")(fake, cloudbase_context())
    assert answer["code"] == "INVALID_ARGUMENT"  # the caller's data, which the function refuses
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert lines[0]["event"] == "platform_fields_forged"
    assert lines[-1]["trigger"] == "cloudbase" and lines[-1]["ip"] == "10.0.0.1"


@pytest.mark.usefixtures("a_fresh_minute")
def test_the_per_address_budget_counts_the_platforms_address(seeded, monkeypatch):
    limits(monkeypatch, '{"default": 2}')
    codes = [
        handler("catalog_browse")({}, {**cloudbase_context(f"o-{n}"), "function_name": "x"})
        for n in range(15)
    ]
    assert [c["code"] for c in codes].count("RATE_LIMITED") == 5  # 2 x 5 for the address


def test_the_documented_cloudbase_call_is_the_callers_own(seeded, capsys):
    for context in ("cloudbase_call_context", "cloudbase_call_context_json"):
        answer = handler("user_login")(golden("cloudbase_call_event"), golden(context))
        assert answer["code"] == "OK"
        assert answer["data"]["user"]["openid"] == "oETo345ZRCZQKAoNwTbCD7tMYBf4"
    out = capsys.readouterr().out
    assert "WARNING" not in out  # the injected userInfo is the platform's, not a forgery
    line = json.loads(out.strip().splitlines()[-1])
    assert line["trigger"] == "cloudbase" and line["source"] == "wx_client"
    assert line["ip"] == "10.12.23.71" and len(line["caller"]) == 16
    assert "oETo345ZRCZQKAoNwTbCD7tMYBf4" not in out


@pytest.mark.parametrize(
    ("event", "ip"), [("apigw_event", "10.0.2.14"), ("function_url_event", "111.206.96.145")]
)
def test_documented_http_events_are_http_with_the_platforms_client_ip(seeded, event, ip, capsys):
    http = golden(event)
    http["body"] = '{"product_id": "p-mango"}'
    reply = handler("catalog_product")(http, golden("scf_context"))
    assert reply["statusCode"] == 200 and json.loads(reply["body"])["code"] == "OK"
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["trigger"] == "http" and line["ip"] == ip


def test_forwarded_for_is_ignored_without_trusted_hops_and_read_through_them(seeded, monkeypatch):
    http = golden("function_url_event")
    http["body"] = "{}"
    http["headers"]["x-forwarded-for"] = "6.6.6.6, 1.2.3.4"
    limits(monkeypatch, '{"default": 1}')
    for _ in range(5):
        handler("catalog_browse")(http, {})
    counted = {d["_id"].split(":")[2] for d in seeded.rate_windows.find({})}
    assert counted == {"111.206.96.145"}
    monkeypatch.setenv("RETAIL_TRUSTED_PROXY_HOPS", "1")
    reset_settings()
    handler("catalog_browse")(http, {})
    counted = {d["_id"].split(":")[2] for d in seeded.rate_windows.find({})}
    assert counted == {"111.206.96.145", "1.2.3.4"}


def test_function_urls_answer_cors_for_the_console_origin_only(seeded, monkeypatch):
    monkeypatch.setenv("RETAIL_CONSOLE_ORIGIN", "https://console.example.com")
    reset_settings()
    preflight = {**golden("function_url_event"), "httpMethod": "OPTIONS", "body": ""}
    before = business_state(seeded)
    reply = handler("order_search")(preflight, golden("scf_context"))
    assert reply["statusCode"] == 204 and reply["body"] == ""
    assert reply["headers"]["Access-Control-Allow-Origin"] == "https://console.example.com"
    assert "Authorization" in reply["headers"]["Access-Control-Allow-Headers"]
    assert business_state(seeded) == before
    answer = handler("order_search")({**golden("function_url_event"), "body": "{}"}, {})
    assert answer["statusCode"] == 401  # no token: refused, still readable by the console
    assert answer["headers"]["Access-Control-Allow-Origin"] == "https://console.example.com"
    catalogue = handler("catalog_browse")({**golden("function_url_event"), "body": "{}"}, {})
    assert catalogue["headers"]["Access-Control-Allow-Origin"] == "https://console.example.com"
    webhook = handler("payment_notify")({**golden("function_url_event"), "body": "{}"}, {})
    assert "Access-Control-Allow-Origin" not in webhook["headers"]  # WeChat Pay is no browser


def test_without_a_console_origin_no_cors_headers_are_sent(seeded):
    reply = handler("order_search")({**golden("function_url_event"), "body": "{}"}, {})
    assert not any(k.startswith("Access-Control") for k in reply["headers"])


def _answered(out: str) -> dict[str, Any]:
    lines = [json.loads(line) for line in out.strip().splitlines()]
    return next(line for line in reversed(lines) if line["event"] == "function_answered")


@pytest.mark.parametrize(
    ("body", "headers", "code"),
    [
        ("{not json", {}, "INVALID_ARGUMENT"),
        ("{}", {"authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.forged.forged"}, "UNAUTHENTICATED"),
    ],
)
def test_a_call_refused_before_its_caller_is_known_still_logs_the_platforms_ip(
    seeded, capsys, body, headers, code
):
    http = golden("apigw_event")
    http["body"], http["headers"] = body, {**http["headers"], **headers}
    reply = handler("catalog_browse")(http, golden("scf_context"))
    assert json.loads(reply["body"])["code"] == code
    line = _answered(capsys.readouterr().out)
    assert line["answer"] == code and line["ip"] == "10.0.2.14" and line["trigger"] == "http"


@pytest.mark.parametrize(
    ("hops", "forwarded", "lies"),
    [
        ("0", "6.6.6.6", 1),
        ("0", "6.6.6.6, 7.7.7.7 ", 2),
        ("0", "111.206.96.145", 0),  # a proxy repeating the client's own address
        ("1", "1.2.3.4", 0),  # our one proxy's word, believed
        ("1", "6.6.6.6, 1.2.3.4", 1),  # the caller's claim left of it
    ],
)
def test_forwarded_addresses_nobody_vouches_for_are_logged_as_spoofing(
    seeded, monkeypatch, capsys, hops, forwarded, lies
):
    monkeypatch.setenv("RETAIL_TRUSTED_PROXY_HOPS", hops)
    reset_settings()
    http = golden("function_url_event")
    http["body"] = "{}"
    http["headers"]["x-forwarded-for"] = forwarded
    handler("catalog_browse")(http, {})
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    spoofed = [line for line in lines if line["event"] == "client_ip_spoofed"]
    assert [line["forwarded_ignored"] for line in spoofed] == ([lies] if lies else [])
    if spoofed:
        assert spoofed[0]["level"] == "WARNING" and "6.6.6.6" not in json.dumps(lines)
