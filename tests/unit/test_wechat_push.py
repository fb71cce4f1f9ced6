"""WeChat's message push in secure mode, against the test vector on WeChat's own page
(tests/golden/wechat/message_push.json): the URL verification, the signature over the
Encrypt, the AES envelope both ways; and what a forger or another app's push gets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retail.adapters.wechat_push import (
    Rejected,
    check_push,
    check_url_verification,
    open_push,
    secrets_from,
    signature,
)
from retail_dev.wechat_push_sender import seal

VECTOR: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "golden" / "wechat" / "message_push.json").read_text(
        encoding="utf-8"
    )
)
SECRETS = secrets_from(VECTOR["token"], VECTOR["encoding_aes_key"], VECTOR["appid"])
PUSH = VECTOR["secure_push"]
BODY = json.dumps(PUSH["body"])


def at(query: dict[str, str]) -> float:
    return float(query["timestamp"])


def test_the_url_verification_of_the_page_verifies_and_a_changed_one_does_not():
    query = VECTOR["url_verification"]["query"]
    check_url_verification(query, SECRETS, now=at(query))
    for key, value in (("nonce", "1514711493"), ("signature", "0" * 40), ("echostr", "")):
        with pytest.raises(Rejected):
            check_url_verification({**query, key: value}, SECRETS, now=at(query))


def test_the_pages_secure_push_verifies_and_opens_to_its_message():
    check_push(PUSH["query"], BODY, SECRETS, now=at(PUSH["query"]))
    assert open_push(PUSH["body"]["Encrypt"], SECRETS) == PUSH["message"]


def test_sealing_gives_the_pages_encrypted_reply_byte_for_byte():
    reply = VECTOR["sealed_reply"]
    sealed = seal(reply["message"], SECRETS, reply["random"].encode())
    assert sealed == reply["Encrypt"]
    assert (
        signature(SECRETS.token, reply["TimeStamp"], reply["Nonce"], sealed)
        == reply["MsgSignature"]
    )


def test_a_push_whose_body_or_signature_changed_is_refused():
    query, now = PUSH["query"], at(PUSH["query"])
    other = json.dumps({**PUSH["body"], "Encrypt": seal('{"Event":"x"}', SECRETS)})
    for bad_query, body in (
        (query, other),  # a body the signature does not cover
        ({**query, "msg_signature": query["signature"]}, BODY),  # the plain signature
        ({k: v for k, v in query.items() if k != "encrypt_type"}, BODY),  # plaintext mode
        (query, "not json"),
        (query, json.dumps({"ToUserName": "gh"})),
    ):
        with pytest.raises(Rejected):
            check_push(bad_query, body, SECRETS, now=now)


def test_an_old_push_replayed_later_is_refused():
    with pytest.raises(Rejected):
        check_push(PUSH["query"], BODY, SECRETS, now=at(PUSH["query"]) + 301)


def test_a_push_sealed_for_another_app_or_with_another_key_does_not_open():
    other_app = secrets_from(SECRETS.token, VECTOR["encoding_aes_key"], "wx-someone-else")
    with pytest.raises(Rejected):
        open_push(PUSH["body"]["Encrypt"], other_app)
    other_key = secrets_from(SECRETS.token, "B" * 43, SECRETS.appid)
    with pytest.raises(Rejected):
        open_push(PUSH["body"]["Encrypt"], other_key)
    for broken in ("", "!!!", PUSH["body"]["Encrypt"][:-8] + "AAAAAAA="):
        with pytest.raises(Rejected):
            open_push(broken, SECRETS)
