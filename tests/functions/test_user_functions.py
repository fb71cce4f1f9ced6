"""user_login and user_me through their handlers."""

from __future__ import annotations

import json

from .harness import call, handler, http_event, sample


def test_first_login_records_first_seen_and_entry_scene(db):
    answer = call("user_login", sample("user_login"), openid="o-new")
    user = answer["data"]["user"]
    assert answer["code"] == "OK" and user["entry_scene"] == 1007 and user["points"] == 0
    assert answer["data"]["session_token"] is None
    call("user_login", {"scene": 1011}, openid="o-new")
    doc = db.users.find_one({"_id": "o-new"})
    assert doc["entry_scene"] == 1007 and doc["last_scene"] == 1011 and doc["login_count"] == 2
    assert doc["last_seen_at"] >= doc["first_seen_at"]


def test_http_login_exchanges_the_code_and_issues_a_token(db):
    reply = handler("user_login")(http_event('{"code": "dev:o-http"}'), {})
    body = json.loads(reply["body"])
    assert reply["statusCode"] == 200 and body["data"]["user"]["openid"] == "o-http"
    assert body["data"]["session_token"] and body["data"]["expires_in"] > 0
    assert "session_key" not in reply["body"]
    assert db.users.find_one({"_id": "o-http"})["session_key"]
    me = handler("user_me")(
        http_event("{}", {"Authorization": "Bearer " + body["data"]["session_token"]}), {}
    )
    assert json.loads(me["body"])["data"]["openid"] == "o-http"


def test_http_login_without_code_or_identity_is_unauthenticated(db):
    reply = handler("user_login")(http_event("{}"), {})
    assert reply["statusCode"] == 401


def test_wechat_refusals_map_to_typed_errors(db):
    for code, status in (
        ("invalid-1", 400),
        ("ratelimited-1", 429),
        ("blocked-1", 403),
        ("busy-1", 502),
    ):
        reply = handler("user_login")(http_event(json.dumps({"code": code})), {})
        assert reply["statusCode"] == status, code
    assert db.users.count_documents({}) == 0


def test_user_me_shows_profile_and_usable_coupons(db):
    call("user_login", {}, openid="o-me")
    db.coupons.insert_many(
        [
            {
                "_id": "cp1",
                "openid": "o-me",
                "template_id": "c1",
                "title": "满30减5",
                "discount": 500,
                "threshold": 3000,
                "status": "AVAILABLE",
                "expires_at": None,
            },
            {
                "_id": "cp2",
                "openid": "o-me",
                "template_id": "c1",
                "title": "used",
                "discount": 500,
                "threshold": 3000,
                "status": "USED",
                "expires_at": None,
            },
            {
                "_id": "cp3",
                "openid": "o-other",
                "template_id": "c1",
                "title": "x",
                "discount": 1,
                "threshold": 0,
                "status": "AVAILABLE",
                "expires_at": None,
            },
        ]
    )
    answer = call("user_me", {}, openid="o-me")
    assert answer["code"] == "OK"
    assert [c["coupon_id"] for c in answer["data"]["coupons"]] == ["cp1"]
    assert "session_key" not in json.dumps(answer)


def test_user_me_before_login_is_not_found(db):
    assert call("user_me", {}, openid="o-never")["code"] == "NOT_FOUND"
