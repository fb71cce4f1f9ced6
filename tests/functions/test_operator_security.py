"""Operators under attack: stolen or stale tokens, password guessing from one address and
from many, pickup-code guessing, and the stored hashes."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets

import pytest

from retail.operators import create_operator, delete_operator, disable_operator, sessions

from ..conftest import business_state
from .harness import call, cloudbase_context, handler, http_event, sample

PASSWORD = "correct horse battery staple"


def sign_in(operator_id: str, password: str, ip: str) -> dict:
    context = {**cloudbase_context(None, WX_CLIENTIP=ip), "function_name": "operator_login"}
    answer: dict = handler("operator_login")(
        {"operator_id": operator_id, "password": password}, context
    )
    return answer


def as_token(name: str, data: dict, token: str) -> tuple[int, dict]:
    event = http_event(json.dumps(data), {"Authorization": f"Bearer {token}"})
    reply = handler(name)(event, {"function_name": name})
    return reply["statusCode"], json.loads(reply["body"])


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The token check's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(sessions, "_clock", lambda: now[0])
    return now


@pytest.mark.parametrize(
    "change",
    [
        lambda db: disable_operator(db, "admin1"),
        lambda db: delete_operator(db, "admin1"),
        lambda db: create_operator(db, "admin1", "service", "another long password"),
        lambda db: create_operator(db, "admin1", "admin", "a reset long password"),
        lambda db: (
            delete_operator(db, "admin1")
            and create_operator(db, "admin1", "admin", "a new person's password")
        ),
    ],
    ids=["disabled", "deleted", "demoted", "password-reset", "deleted-then-created-again"],
)
def test_a_changed_accounts_token_stops_working_within_a_minute(seeded, clock, change):
    create_operator(seeded, "admin1", "admin", PASSWORD)
    token = sign_in("admin1", PASSWORD, "10.1.1.1")["data"]["token"]
    assert as_token("order_search", {}, token)[0] == 200
    change(seeded)
    clock[0] += 1
    assert as_token("order_search", {}, token)[0] == 200  # checked again only every 30 s
    clock[0] += sessions.CHECK_EVERY_SECONDS + 0.5  # at most half a minute later
    status, answer = as_token("order_search", {}, token)
    assert status == 401 and "sign in again" in answer["message"]


def test_a_disabled_operators_token_no_longer_shows_products_off_sale(seeded, clock):
    """The catalogue shows an operator what is off sale; that view ends with the account."""
    create_operator(seeded, "admin1", "admin", PASSWORD)
    token = sign_in("admin1", PASSWORD, "10.1.1.1")["data"]["token"]
    seeded.products.update_one({"_id": "p-mango"}, {"$set": {"status": "OFF_SALE"}})
    status, shown = as_token("catalog_product", {"product_id": "p-mango"}, token)
    assert status == 200 and shown["data"]["status"] == "OFF_SALE"
    disable_operator(seeded, "admin1")
    clock[0] += sessions.CHECK_EVERY_SECONDS + 0.5
    assert as_token("catalog_product", {"product_id": "p-mango"}, token)[0] == 401


def test_strangers_failing_from_five_addresses_do_not_lock_the_operator_out(seeded):
    create_operator(seeded, "admin1", "admin", PASSWORD)
    for n in range(5):
        assert sign_in("admin1", "wrong", f"6.6.6.{n}")["code"] == "UNAUTHENTICATED"
    assert sign_in("admin1", PASSWORD, "10.1.1.1")["code"] == "OK"


def test_five_failures_from_one_address_lock_only_that_address_with_backoff(seeded):
    create_operator(seeded, "admin1", "admin", PASSWORD)
    for _ in range(5):
        sign_in("admin1", "wrong", "6.6.6.6")
    first = sign_in("admin1", PASSWORD, "6.6.6.6")
    assert first["code"] == "RATE_LIMITED" and 0 < first["details"]["retry_after_seconds"] <= 61
    assert sign_in("admin1", PASSWORD, "10.1.1.1")["code"] == "OK"
    seeded.sign_in_attempts.update_one({"_id": "admin1|6.6.6.6"}, {"$set": {"locked_until": None}})
    for _ in range(5):
        sign_in("admin1", "wrong", "6.6.6.6")
    second = sign_in("admin1", PASSWORD, "6.6.6.6")
    assert second["details"]["retry_after_seconds"] > 61  # the second lockout is longer


def test_spraying_from_many_addresses_is_slowed_but_known_addresses_get_in(seeded):
    create_operator(seeded, "admin1", "admin", PASSWORD)
    assert sign_in("admin1", PASSWORD, "10.1.1.1")["code"] == "OK"  # a known address now
    for n in range(25):
        sign_in("admin1", f"guess-{n}", f"7.7.{n}.1")
    assert sign_in("admin1", PASSWORD, "7.7.99.1")["code"] == "RATE_LIMITED"
    assert sign_in("admin1", "guess-99", "7.7.98.1")["code"] == "RATE_LIMITED"
    assert sign_in("admin1", PASSWORD, "10.1.1.1")["code"] == "OK"


@pytest.mark.usefixtures("a_fresh_minute")
def test_pickup_code_guessing_spends_the_operators_budget(seeded):
    context = {**cloudbase_context(None), "RETAIL_DEV_OPERATOR": "clerk:service"}
    context["function_name"] = "order_pickup_verify"
    codes = [
        handler("order_pickup_verify")(
            {"store_id": "s-nanping", "pickup_code": f"{n:06d}"}, context
        )["code"]
        for n in range(40)
    ]
    assert codes[:30] == ["NOT_FOUND"] * 30 and set(codes[30:]) == {"RATE_LIMITED"}


def test_passwords_are_argon2id_at_owasp_parameters_and_old_hashes_upgrade(seeded):
    create_operator(seeded, "admin1", "admin", PASSWORD)
    stored = seeded.operators.find_one({"_id": "admin1"})["password_hash"]
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    encoded = [base64.b64encode(salt).decode(), base64.b64encode(digest).decode()]
    old = "$".join(["scrypt", "16384", "8", "1", *encoded])
    seeded.operators.update_one({"_id": "admin1"}, {"$set": {"password_hash": old}})
    assert sign_in("admin1", "wrong", "10.1.1.1")["code"] == "UNAUTHENTICATED"
    assert seeded.operators.find_one({"_id": "admin1"})["password_hash"] == old
    assert sign_in("admin1", PASSWORD, "10.1.1.1")["code"] == "OK"
    upgraded = seeded.operators.find_one({"_id": "admin1"})["password_hash"]
    assert upgraded.startswith("$argon2id$")
    assert sign_in("admin1", PASSWORD, "10.1.1.1")["code"] == "OK"


def test_order_search_filters_by_the_buyer_an_operator_names(seeded):
    for buyer in ("o-alice", "o-bob"):
        order = {**sample("order_place"), "idempotency_key": f"key-{buyer}"}
        assert call("order_place", order, openid=buyer)["code"] == "OK"
    context = {**cloudbase_context(None), "RETAIL_DEV_OPERATOR": "op1:admin"}
    found = handler("order_search")({"openid": "o-alice"}, context)["data"]["orders"]
    assert found and {o["openid"] for o in found} == {"o-alice"}


def test_an_order_list_cursor_out_of_any_calendar_is_invalid(seeded):
    before = business_state(seeded)
    for created_ms in (10**20, -(10**20)):
        cursor = base64.urlsafe_b64encode(json.dumps([created_ms, "A"]).encode()).decode()
        answer = call("order_list", {"cursor": cursor})
        assert answer["code"] == "INVALID_ARGUMENT" and "cursor" in answer["message"]
    assert business_state(seeded) == before


def test_a_coupon_discount_beyond_any_price_is_refused(seeded):
    context = {**cloudbase_context(None), "RETAIL_DEV_OPERATOR": "op1:admin"}
    template = {
        "template_id": "c-huge",
        "title": "huge",
        "discount": 10**40,
        "total_quota": 10,
    }
    assert handler("coupon_template_save")(template, context)["code"] == "INVALID_ARGUMENT"
    assert seeded.coupon_templates.find_one({"_id": "c-huge"}) is None


@pytest.mark.parametrize("spelling", ["1.2.3.4", " 1.2.3.4 ", "::ffff:1.2.3.4"])
def test_a_blacklisted_address_is_refused_however_it_is_spelled(seeded, spelling):
    admin = {**cloudbase_context(None), "RETAIL_DEV_OPERATOR": "op1:admin"}
    entry = {"kind": "ip", "value": "::FFFF:1.2.3.4 ", "reason": "brushing"}
    assert handler("blacklist_update")(entry, admin)["data"]["entry_id"] == "ip:1.2.3.4"
    context = {**cloudbase_context("o-brusher", WX_CLIENTIP=spelling), "function_name": "x"}
    claim = handler("coupon_claim")({"template_id": "c-fruit-10"}, context)
    assert claim["code"] == "FORBIDDEN" and claim["details"]["reason"] == "RISK_BLOCKED"
    bad = {**entry, "value": "9.9.9.9, 1.2.3.4"}
    assert handler("blacklist_update")(bad, admin)["code"] == "INVALID_ARGUMENT"
