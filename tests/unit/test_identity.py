"""The trigger and the caller come from the platform's context, never from the event."""

from __future__ import annotations

import json

import pytest

from retail.common.clientip import client_ip, normalise_ip
from retail.common.errors import InvalidArgument
from retail.core.events import MAX_DEPTH, Trigger, detect_trigger, parse_event
from retail.core.identity import resolve_caller
from retail.core.platform import platform_of

TIMER = {"Type": "Timer", "TriggerName": "t", "Time": "2026-11-24T02:00:00Z", "Message": ""}
CLIENT = {"environment": json.dumps({"TCB_CONTEXT_KEYS": "TCB_SOURCE", "TCB_SOURCE": "wx_client"})}


def test_platform_values_prefer_the_context_over_the_process_environment(monkeypatch):
    monkeypatch.setenv("WX_OPENID", "o-from-env")
    context = {
        "environment": json.dumps(
            {
                "WX_CONTEXT_KEYS": "WX_OPENID,WX_API_TOKEN",
                "WX_OPENID": "o-from-context",
                "WX_API_TOKEN": "t",
            }
        )
    }
    assert dict(platform_of(context).values) == {"WX_OPENID": "o-from-context"}
    assert platform_of({}).get("WX_OPENID") == "o-from-env"


def test_the_older_environ_string_is_read_too():
    context = {"environ": "WX_CONTEXT_KEYS=WX_OPENID,WX_APPID;WX_OPENID=o-old;WX_APPID=wx1"}
    assert platform_of(context).get("WX_OPENID") == "o-old"


def test_a_documented_timer_event_without_a_client_is_a_timer():
    assert detect_trigger(TIMER, platform_of({})) is Trigger.TIMER
    assert detect_trigger({**TIMER, "Type": "timer"}, platform_of({})) is Trigger.TIMER
    cloudbase_timer = {"environment": json.dumps({"TCB_SOURCE": "wx_trigger"})}
    assert detect_trigger(TIMER, platform_of(cloudbase_timer)) is Trigger.TIMER


@pytest.mark.parametrize(
    ("trigger_src", "believed"), [("Timer", True), ("", False), ("timer", False)]
)
def test_where_the_runtime_says_whether_a_timer_fired_only_its_word_makes_a_timer(
    trigger_src, believed
):
    """An image function's X-Scf-Trigger-Src (image/retail_entry.py puts it in the context):
    without it a timer-shaped event is a client's data, refused as a forged shape."""
    platform = platform_of({"trigger_src": trigger_src})
    assert platform.timer is believed
    assert detect_trigger(TIMER, platform) is (Trigger.TIMER if believed else Trigger.CLOUDBASE)
    if not believed:
        invocation = parse_event(TIMER, Trigger.CLOUDBASE, platform)
        assert invocation.forged_platform_keys == ["event shape"]
    assert platform_of({}).timer is None  # the code runtimes say nothing


HTTP = {"httpMethod": "POST", "path": "/", "headers": {"x-scf-remote-addr": "1.2.3.4"}}


@pytest.mark.parametrize(
    ("function_url", "trigger"), [(True, Trigger.HTTP), (False, Trigger.CLOUDBASE)]
)
def test_where_the_runtime_says_whether_an_http_trigger_can_reach_it_only_then_is_one(
    function_url, trigger
):
    """An image function's entry says whether it is deployed with a function URL (its only
    HTTP trigger): without one an HTTP-shaped event is a client's data, and its claimed
    address is nobody's."""
    platform = platform_of({"function_url": function_url})
    assert platform.http is function_url
    assert detect_trigger(HTTP, platform) is trigger
    assert platform_of({}).http is None
    assert platform_of({"function_url": "yes"}).http is False  # only the entry's True counts


@pytest.mark.parametrize(
    ("context", "address"),
    [
        ({}, "1.2.3.4"),  # a code runtime: the event comes from its trigger
        ({"function_url": True, "closed_to_clients": True}, "1.2.3.4"),
        ({"function_url": True, "closed_to_clients": False}, None),  # clients may send it too
        ({"function_url": True}, None),
    ],
)
def test_an_http_events_address_is_believed_only_where_no_client_can_send_the_event(
    context, address
):
    platform = platform_of(context)
    invocation = parse_event(HTTP, Trigger.HTTP, platform)
    assert resolve_caller(invocation, platform).client_ip == address


@pytest.mark.parametrize(
    "environment",
    [
        {"TCB_SOURCE": "wx_client"},
        {"TCB_SOURCE": "wx_devtools"},
        {"TCB_SOURCE": "wx_trigger,scf"},
        {"TCB_SOURCE": "web"},
        {"WX_OPENID": "o-1"},
        {"WX_CLIENTIP": "1.2.3.4"},
        {"TCB_UUID": "u-1"},
    ],
)
def test_timer_or_http_shaped_data_from_a_client_is_the_clients_data(environment):
    platform = platform_of({"environment": json.dumps(environment)})
    assert detect_trigger(TIMER, platform) is Trigger.CLOUDBASE
    http = {"httpMethod": "POST", "headers": {}, "requestContext": {"sourceIp": "9.9.9.9"}}
    assert detect_trigger(http, platform) is Trigger.CLOUDBASE
    assert parse_event(TIMER, Trigger.CLOUDBASE, platform).forged_platform_keys == ["event shape"]


def test_http_events_of_both_documented_kinds_are_http():
    api_gateway = {"httpMethod": "POST", "headers": {}, "requestContext": {"sourceIp": "1.1.1.1"}}
    function_url = {"httpMethod": "POST", "headers": {"x-scf-remote-addr": "2.2.2.2"}}
    for event, ip in ((api_gateway, "1.1.1.1"), (function_url, "2.2.2.2")):
        assert detect_trigger(event, platform_of({})) is Trigger.HTTP
        invocation = parse_event(event, Trigger.HTTP, platform_of({}))
        assert resolve_caller(invocation, platform_of({})).client_ip == ip


def test_the_platform_injected_user_info_is_dropped_and_a_forged_one_noted():
    platform = platform_of({"environment": json.dumps({"WX_OPENID": "o-real"})})
    genuine = parse_event(
        {"userInfo": {"openId": "o-real"}, "page": 1}, Trigger.CLOUDBASE, platform
    )
    assert genuine.data == {"page": 1} and genuine.forged_platform_keys == []
    forged = parse_event({"userInfo": {"openId": "o-victim"}}, Trigger.CLOUDBASE, platform)
    assert forged.data == {} and forged.forged_platform_keys == ["userInfo"]


def test_timer_message_must_be_a_json_object():
    event = {**TIMER, "Message": '{"batch": 5}'}
    assert parse_event(event, Trigger.TIMER, platform_of({})).data == {"batch": 5}
    with pytest.raises(InvalidArgument):
        parse_event({**event, "Message": "[1]"}, Trigger.TIMER, platform_of({}))


def test_nesting_past_the_limit_is_invalid_without_overflowing_the_stack():
    deep: dict = {}
    cursor = deep
    for _ in range(5000):
        cursor["a"] = {}
        cursor = cursor["a"]
    with pytest.raises(InvalidArgument, match="nests deeper"):
        parse_event(deep, Trigger.CLOUDBASE, platform_of(CLIENT))
    body = '{"a": ' * 5000 + "1" + "}" * 5000
    http = {"httpMethod": "POST", "headers": {}, "body": body}
    with pytest.raises(InvalidArgument, match="nests deeper"):
        parse_event(http, Trigger.HTTP, platform_of({}))
    shallow = {"a": [[[1]]]}
    assert parse_event(shallow, Trigger.CLOUDBASE, platform_of(CLIENT)).data == shallow
    assert MAX_DEPTH >= 8


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4 ", "1.2.3.4"),
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("9.9.9.9, 1.2.3.4", None),
        ("not-an-ip", None),
        ("", None),
    ],
)
def test_addresses_are_normalised(text, canonical):
    assert normalise_ip(text) == canonical


def test_forwarded_headers_count_only_through_trusted_hops():
    assert client_ip("10.0.0.9", "6.6.6.6, 1.2.3.4", 0) == "10.0.0.9"
    assert client_ip("10.0.0.9", "6.6.6.6, 1.2.3.4", 1) == "1.2.3.4"
    assert client_ip("10.0.0.9", "6.6.6.6, 1.2.3.4, 10.0.0.8", 2) == "1.2.3.4"
    assert client_ip("10.0.0.9", None, 1) == "10.0.0.9"


def test_dev_operator_is_honoured_in_dev_only(monkeypatch):
    context = {"RETAIL_DEV_OPERATOR": "op1:merchant:m1"}
    invocation = parse_event({}, Trigger.CLOUDBASE, platform_of(context))
    operator = resolve_caller(invocation, platform_of(context)).operator
    assert operator is not None and operator.merchant_id == "m1"
    with pytest.raises(InvalidArgument):
        resolve_caller(invocation, platform_of({"RETAIL_DEV_OPERATOR": "op1:emperor"}))
    from retail.common.settings import reset_settings

    monkeypatch.setenv("RETAIL_ENV", "prod")
    reset_settings()
    assert resolve_caller(invocation, platform_of(context)).operator is None


def test_an_operator_token_whose_role_no_account_may_hold_is_refused():
    """Tokens are ours and carry an account's role; one whose role is not a role (an account
    written by hand, a role retired) signs nobody in rather than failing later."""
    from retail.common.errors import Unauthenticated
    from retail.common.tokens import issue_operator_token

    for role, allowed in (("merchant:m1", True), ("emperor", False), ("merchant:", False)):
        token, _ = issue_operator_token("op1", role, 7)
        event = {
            "httpMethod": "POST",
            "path": "/fn/x",
            "headers": {"authorization": f"Bearer {token}"},
        }
        invocation = parse_event(event, Trigger.HTTP, platform_of({}))
        if allowed:
            assert resolve_caller(invocation, platform_of({})).operator.merchant_id == "m1"
        else:
            with pytest.raises(Unauthenticated):
                resolve_caller(invocation, platform_of({}))
