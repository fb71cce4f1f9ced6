from __future__ import annotations

from datetime import timedelta

import jwt
import pytest

from retail.common.clock import utcnow
from retail.common.errors import ConfigurationError, Unauthenticated
from retail.common.settings import reset_settings, settings
from retail.common.tokens import issue_session_token, verify_session_token


def _prod(monkeypatch, **env):
    monkeypatch.setenv("RETAIL_ENV", "prod")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()


def test_missing_production_secret_fails_naming_the_setting(monkeypatch):
    _prod(monkeypatch)
    with pytest.raises(ConfigurationError, match="RETAIL_SESSION_SECRET"):
        issue_session_token("o1")
    with pytest.raises(ConfigurationError, match="WECHAT_APP_SECRET"):
        settings().require("WECHAT_APP_SECRET")


@pytest.mark.parametrize(
    ("name", "local", "mode"),
    [
        ("RETAIL_WECHAT_CLIENT", "fake", "wechat_client"),
        ("WECHATPAY_MODE", "sandbox", "wechatpay_mode"),
        ("RETAIL_DELIVERY_CLIENT", "fake", "delivery_client"),
    ],
)
def test_local_fakes_are_refused_in_production(monkeypatch, name, local, mode):
    _prod(monkeypatch, **{name: local})
    with pytest.raises(ConfigurationError, match=f"{name} {local} is refused") as refused:
        getattr(settings(), mode)
    assert refused.value.setting == name


@pytest.mark.parametrize("mode", ["wechat_client", "wechatpay_mode", "delivery_client"])
def test_dev_defaults_to_the_local_fake_and_production_to_live(monkeypatch, mode):
    monkeypatch.setenv("RETAIL_ENV", "dev")
    reset_settings()
    assert getattr(settings(), mode) in ("fake", "sandbox")
    _prod(monkeypatch)
    assert getattr(settings(), mode) == "live"


def test_production_without_a_store_uri_is_refused_naming_it(monkeypatch):
    monkeypatch.delenv("RETAIL_DB_URI")
    _prod(monkeypatch)
    with pytest.raises(ConfigurationError, match="RETAIL_DB_URI is not set") as refused:
        _ = settings().store_uri
    assert refused.value.setting == "RETAIL_DB_URI"


def test_production_on_the_embedded_engine_is_refused_unless_allowed(monkeypatch):
    monkeypatch.delenv("RETAIL_ALLOW_EMBEDDED_STORE")
    _prod(monkeypatch, RETAIL_DB_URI="sqlite:///retail.db")
    with pytest.raises(ConfigurationError, match="RETAIL_DB_URI sqlite"):
        _ = settings().store_uri
    _prod(monkeypatch, RETAIL_ALLOW_EMBEDDED_STORE="yes")
    assert settings().store_uri == "sqlite:///retail.db"


def test_a_handler_in_production_without_a_store_writes_no_local_file(tmp_path, monkeypatch):
    from tests.functions.harness import handler

    monkeypatch.delenv("RETAIL_DB_URI")
    _prod(monkeypatch, RETAIL_SESSION_SECRET="s" * 32)
    answer = handler("health_check")({}, {"request_id": "r-no-store"})
    assert answer["code"] == "INTERNAL"
    assert not (tmp_path / ".data").exists()


def test_dev_without_a_store_uri_uses_the_local_file(monkeypatch):
    monkeypatch.delenv("RETAIL_DB_URI")
    reset_settings()
    assert settings().store_uri == "sqlite:///.data/retail.db"


def test_a_store_uri_of_another_scheme_is_refused(monkeypatch):
    _prod(monkeypatch, RETAIL_DB_URI="postgres://db/retail")
    with pytest.raises(ConfigurationError, match="RETAIL_DB_URI must start with"):
        _ = settings().store_uri


def test_bad_setting_value_is_named(monkeypatch):
    monkeypatch.setenv("RETAIL_PAYMENT_TIMEOUT_SECONDS", "soon")
    reset_settings()
    with pytest.raises(ConfigurationError, match="RETAIL_PAYMENT_TIMEOUT_SECONDS"):
        settings()


def test_env_file_is_read_when_present(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RETAIL_PAYMENT_TIMEOUT_SECONDS=600\n")
    monkeypatch.delenv("RETAIL_PAYMENT_TIMEOUT_SECONDS", raising=False)
    reset_settings()
    assert settings().RETAIL_PAYMENT_TIMEOUT_SECONDS == 600
    monkeypatch.delenv("RETAIL_PAYMENT_TIMEOUT_SECONDS", raising=False)


def test_session_token_round_trip_and_expiry():
    token, ttl = issue_session_token("o-1")
    assert verify_session_token(token) == "o-1" and ttl == 7 * 86_400
    secret = settings().session_secret
    stale = jwt.encode(
        {
            "sub": "o-1",
            "iss": "retail",
            "iat": utcnow() - timedelta(days=9),
            "exp": utcnow() - timedelta(days=2),
        },
        secret,
        algorithm="HS256",
    )
    with pytest.raises(Unauthenticated, match="expired"):
        verify_session_token(stale)
    with pytest.raises(Unauthenticated):
        verify_session_token(
            jwt.encode(
                {
                    "sub": "o-1",
                    "iss": "retail",
                    "iat": utcnow(),
                    "exp": utcnow() + timedelta(days=1),
                },
                "another-secret-of-thirty-two-bytes",
                algorithm="HS256",
            )
        )


def test_every_setting_is_documented_in_env_example():
    from pathlib import Path

    from retail.common.settings import Settings

    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    documented = {
        line.split("=", 1)[0]
        for line in example.splitlines()
        if line and not line.startswith("#") and "=" in line
    }
    assert set(Settings.model_fields) - documented == set()
