"""platform_event, WeChat's message push, attacked: only WeChat's own signed, sealed pushes for
this app are applied, each once; WeChat's URL check gets its echostr back as text."""

from __future__ import annotations

import json
import time

from retail.adapters.wechat_push import push_secrets, signature
from retail_dev.wechat_push_sender import seal, sealed_request

from .harness import handler, http_event, push_to_platform_event

MEDIA_EVENT = {
    "ToUserName": "gh_sandbox",
    "FromUserName": "o-test-user",
    "CreateTime": 1626959646,
    "MsgType": "event",
    "Event": "wxa_media_check",
    "appid": "wx-dev-appid",
    "trace_id": "trace-unknown-to-the-shop",
    "version": 2,
    "errcode": 0,
    "errmsg": "ok",
    "result": {"suggest": "pass", "label": 100},
}


def answer(query: dict[str, str], body: str = "", method: str = "POST") -> dict[str, object]:
    reply: dict[str, object] = handler("platform_event")(
        http_event(body, method=method, query=query), {}
    )
    return reply


def test_wechats_url_check_gets_its_echostr_back_as_plain_text(seeded):
    secrets = push_secrets()
    assert secrets is not None
    timestamp, once = str(int(time.time())), "1514711492"
    query = {
        "signature": signature(secrets.token, timestamp, once),
        "timestamp": timestamp,
        "nonce": once,
        "echostr": "4375120948345356249",
    }
    reply = answer(query, method="GET")
    assert reply["statusCode"] == 200 and reply["body"] == "4375120948345356249"
    assert reply["headers"]["Content-Type"].startswith("text/plain")  # type: ignore[index]
    forged = answer({**query, "signature": "0" * 40}, method="GET")
    assert forged["statusCode"] == 401 and "4375120948345356249" not in str(forged["body"])


def test_a_genuine_push_is_acknowledged_with_success_and_applied_once(seeded):
    query, body = sealed_request(MEDIA_EVENT)
    assert answer(query, body)["body"] == "success"
    assert answer(query, body)["body"] == "success"  # WeChat's retry: nothing new
    assert seeded.media_checks.count_documents({}) == 1


def test_forged_pushes_are_refused_and_change_nothing(seeded):
    query, body = sealed_request(MEDIA_EVENT)
    secrets = push_secrets()
    assert secrets is not None
    other = json.dumps({"ToUserName": "gh", "Encrypt": seal(json.dumps(MEDIA_EVENT), secrets)})
    plaintext = {k: v for k, v in query.items() if k not in ("encrypt_type", "msg_signature")}
    stale = {**query, "timestamp": str(int(time.time()) - 3600)}
    for bad_query, bad_body in (
        (query, other),  # a sealed body the signature does not cover
        (plaintext, json.dumps(MEDIA_EVENT)),  # plaintext mode: the body is unsigned
        (stale, body),  # an old push replayed
        ({}, body),
        (query, "{}"),
    ):
        assert answer(bad_query, bad_body)["statusCode"] == 401, (bad_query, bad_body)
    assert answer(query, "not json")["statusCode"] == 400
    assert seeded.media_checks.count_documents({}) == 0


def test_a_push_sealed_for_another_app_is_refused(seeded, monkeypatch):
    monkeypatch.setenv("WECHAT_APPID", "wx-another-app")
    from retail.common.settings import reset_settings

    reset_settings()
    query, body = sealed_request(MEDIA_EVENT)  # sealed for wx-another-app
    monkeypatch.delenv("WECHAT_APPID")
    reset_settings()
    assert push_to_platform_event(query, body) == 401
    assert seeded.media_checks.count_documents({}) == 0


def test_without_push_settings_outside_dev_every_push_is_refused(seeded, monkeypatch):
    query, body = sealed_request(MEDIA_EVENT)
    monkeypatch.setenv("RETAIL_WECHAT_CLIENT", "live")
    monkeypatch.setenv("WECHAT_APPID", "wx-dev-appid")
    monkeypatch.setenv("WECHAT_APP_SECRET", "secret")
    from retail.common.settings import reset_settings

    reset_settings()
    assert push_to_platform_event(query, body) == 401
    assert seeded.media_checks.count_documents({}) == 0


def test_events_the_shop_does_not_handle_are_acknowledged(seeded):
    query, body = sealed_request({**MEDIA_EVENT, "Event": "debug_demo", "debug_str": "hello"})
    assert push_to_platform_event(query, body) == 200


def test_a_function_call_or_timer_cannot_reach_it(seeded):
    from .harness import call

    assert call("platform_event", {"Encrypt": "x"})["code"] == "UNAUTHENTICATED"
