from __future__ import annotations

import json

import pytest

from retail.common.errors import InvalidArgument
from retail.core.events import Trigger, detect_trigger, parse_event
from retail.core.identity import resolve_caller, wx_context


def test_wx_context_prefers_the_context_over_the_process_environment(monkeypatch):
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
    assert wx_context(context) == {"WX_OPENID": "o-from-context"}
    assert wx_context({}) == {"WX_OPENID": "o-from-env"}


def test_cloudbase_identity_keys_in_data_are_dropped():
    invocation = parse_event({"openid": "x", "userInfo": {}, "page": 1}, Trigger.CLOUDBASE)
    assert invocation.data == {"page": 1}
    assert invocation.ignored_identity_keys == ["openid", "userInfo"]


def test_triggers_are_told_apart():
    assert detect_trigger({"Type": "timer", "TriggerName": "t"}) is Trigger.TIMER
    assert detect_trigger({"httpMethod": "POST", "headers": {}}) is Trigger.HTTP
    assert detect_trigger({"Type": "timer"}) is Trigger.CLOUDBASE


def test_timer_message_must_be_a_json_object():
    event = {"Type": "timer", "TriggerName": "t", "Message": '{"batch": 5}'}
    assert parse_event(event, Trigger.TIMER).data == {"batch": 5}
    with pytest.raises(InvalidArgument):
        parse_event({**event, "Message": "[1]"}, Trigger.TIMER)


def test_dev_operator_header_is_parsed_in_dev_only(monkeypatch):
    context = {"RETAIL_DEV_OPERATOR": "op1:merchant:m1"}
    invocation = parse_event({}, Trigger.CLOUDBASE)
    operator = resolve_caller(invocation, context).operator
    assert operator is not None and operator.merchant_id == "m1"
    with pytest.raises(InvalidArgument):
        resolve_caller(invocation, {"RETAIL_DEV_OPERATOR": "op1:emperor"})
    from retail.common.settings import reset_settings

    monkeypatch.setenv("RETAIL_ENV", "prod")
    reset_settings()
    assert resolve_caller(invocation, context).operator is None
