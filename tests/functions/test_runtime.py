"""The runtime contract every function shares, exercised through real handlers."""

from __future__ import annotations

import base64
import json

import pytest

from retail.common.tokens import issue_session_token

from ..conftest import business_state
from .harness import call, cloudbase_context, handler, http_event, sample


def test_cloudbase_call_answers_ok_envelope(seeded):
    answer = call("catalog_browse", sample("catalog_browse"))
    assert answer["code"] == "OK"
    assert [i["product_id"] for i in answer["data"]["items"]] == [
        "p-pear",
        "p-blueberry",
        "p-pomegranate",
    ]


def test_unknown_field_is_invalid_argument_naming_the_field(seeded):
    answer = call("catalog_browse", {"page": 1, "colour": "red"})
    assert answer["code"] == "INVALID_ARGUMENT"
    assert answer["details"]["problems"][0]["field"] == "colour"


@pytest.mark.parametrize(
    "bad",
    [
        {"page": 0},
        {"page_size": 51},
        {"page": "two"},
        {"sort": "random"},
        {"category_id": {"$gt": ""}},
        {"keyword": "x" * 41},
    ],
)
def test_out_of_bounds_input_is_refused(seeded, bad):
    assert call("catalog_browse", bad)["code"] == "INVALID_ARGUMENT"


def test_function_needing_identity_without_one_is_unauthenticated(seeded):
    assert call("user_me", {}, openid=None)["code"] == "UNAUTHENTICATED"


def test_an_openid_in_the_body_is_refused_and_the_platform_identity_used(seeded, capsys):
    before = business_state(seeded)
    answer = call("user_login", {"openid": "o-victim"}, openid="o-real")
    assert answer["code"] == "INVALID_ARGUMENT"
    assert answer["details"]["problems"][0]["field"] == "openid"
    assert business_state(seeded) == before
    assert '"event": "client_identity_refused"' in capsys.readouterr().out
    injected = call("user_login", {"userInfo": {"openId": "o-real", "appId": "wx"}}, "o-real")
    assert injected["code"] == "OK" and injected["data"]["user"]["openid"] == "o-real"
    assert "platform_fields_forged" not in capsys.readouterr().out
    forged = call("user_login", {"userInfo": {"openId": "o-victim"}}, openid="o-real")
    assert forged["data"]["user"]["openid"] == "o-real"
    assert seeded.users.find_one({"_id": "o-victim"}) is None
    assert '"forged": ["userInfo"]' in capsys.readouterr().out


def test_environ_string_context_of_older_runtimes_is_understood(seeded):
    context = {"environ": "WX_CONTEXT_KEYS=WX_OPENID,WX_APPID;WX_OPENID=o-old;WX_APPID=wx1"}
    answer = handler("user_login")({}, context)
    assert answer["data"]["user"]["openid"] == "o-old"


def test_http_trigger_answers_an_integrated_response_with_status(seeded):
    reply = handler("catalog_product")(http_event('{"product_id": "nope"}'), {})
    assert reply["statusCode"] == 404
    assert json.loads(reply["body"])["code"] == "NOT_FOUND"


def test_http_trigger_refuses_non_object_and_non_json_bodies(seeded):
    for body in ("[1, 2]", "not json", '"text"'):
        reply = handler("catalog_browse")(http_event(body), {})
        assert reply["statusCode"] == 400, body
        assert json.loads(reply["body"])["code"] == "INVALID_ARGUMENT"


def test_http_trigger_decodes_base64_bodies(seeded):
    event = http_event(base64.b64encode(b'{"product_id": "p-mango"}').decode())
    event["isBase64Encoded"] = True
    assert handler("catalog_product")(event, {})["statusCode"] == 200


def test_http_body_over_one_mebibyte_is_refused(seeded):
    reply = handler("catalog_browse")(http_event(" " * (1024 * 1024 + 1)), {})
    assert reply["statusCode"] == 413


def test_http_caller_is_identified_by_session_token(seeded):
    token, _ = issue_session_token("o-token-user")
    call("user_login", {}, openid="o-token-user")
    reply = handler("user_me")(http_event("{}", {"Authorization": f"Bearer {token}"}), {})
    assert reply["statusCode"] == 200
    assert json.loads(reply["body"])["data"]["openid"] == "o-token-user"


def test_forged_session_token_is_unauthenticated(seeded):
    token, _ = issue_session_token("o-someone")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    reply = handler("user_me")(http_event("{}", {"Authorization": f"Bearer {forged}"}), {})
    assert reply["statusCode"] == 401


def test_dev_header_identity_is_ignored_outside_dev(seeded, monkeypatch):
    from retail.common.settings import reset_settings

    monkeypatch.setenv("RETAIL_ENV", "prod")
    monkeypatch.setenv("RETAIL_SESSION_SECRET", "s" * 32)
    reset_settings()
    reply = handler("user_me")(http_event("{}", {"X-Dev-Openid": "o-attacker"}), {})
    assert reply["statusCode"] == 401


def test_timer_event_is_recognised(seeded):
    answer = handler("catalog_browse")(sample("timer_trigger"), {})
    assert answer["code"] == "OK"


def test_unexpected_exception_is_internal_without_internals(seeded, monkeypatch, capsys):
    import retail.catalog.browse as browse

    def explode(*args, **kwargs):
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(browse, "available_by_sku", explode)
    answer = call("catalog_browse", {})
    assert answer["code"] == "INTERNAL"
    assert "secret detail" not in answer["message"]
    assert "req-test" in answer["message"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    crash = next(line for line in logged if line["event"] == "function_crashed")
    assert crash["request_id"] == "req-test" and "secret detail" in crash["traceback"]


def test_every_log_line_names_request_and_function(seeded, capsys):
    handler("catalog_browse")({}, {**cloudbase_context(), "function_name": "catalog_browse"})
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (line["request_id"], line["function"], line["answer"]) == (
        "req-test",
        "catalog_browse",
        "OK",
    )


@pytest.mark.parametrize("name", ["user_login", "payment_notify", "catalog_browse"])
def test_an_http_body_or_header_that_is_not_utf8_text_answers_400(seeded, name):
    for event in (
        http_event('{"code": "dev:o1\ud800"}'),
        http_event("{}", {"Authorization": "Bearer \ud800"}),
    ):
        reply = handler(name)(event, {})
        assert reply["statusCode"] == 400, reply
        assert json.loads(reply["body"])["code"] == "INVALID_ARGUMENT"


def test_a_visitor_note_the_store_cannot_take_leaves_the_answer_as_it_was(seeded, monkeypatch):
    """The handler's work is done before the visitor is noted: a store that stops answering
    then (or the deadline reached after the handler) does not turn OK into UNAVAILABLE."""
    from retail.common.errors import Unavailable
    from retail.users import visitors

    def unreachable(*_args, **_kwargs):
        raise Unavailable("the database did not answer in time; retry")

    monkeypatch.setattr(visitors, "note_visitor", unreachable)
    answer = call("catalog_browse", {}, openid="o-never-seen-before")
    assert answer["code"] == "OK"
