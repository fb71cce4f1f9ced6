"""One settings object from the environment (and `.env` locally), read at first use."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigurationError

DEV_SESSION_SECRET = "dev-only-session-secret-not-for-production"
DEV_DB_URI = "sqlite:///.data/retail.db"
MONGO_SCHEMES = ("mongodb://", "mongodb+srv://")


class Settings(BaseModel):
    """Every setting, by its environment name. See `.env.example` for each one's meaning."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    RETAIL_ENV: Literal["dev", "prod"] = "prod"
    RETAIL_DB_URI: str | None = None
    RETAIL_ALLOW_EMBEDDED_STORE: Literal["yes"] | None = None
    RETAIL_DB_SERVER_SELECTION_TIMEOUT_MS: int = Field(2000, ge=100, le=30_000)
    RETAIL_DB_CONNECT_TIMEOUT_MS: int = Field(2000, ge=100, le=30_000)
    RETAIL_DB_SOCKET_TIMEOUT_MS: int = Field(8000, ge=100, le=600_000)
    RETAIL_DB_MAX_POOL_SIZE: int = Field(4, ge=1, le=100)
    RETAIL_PAYMENT_TIMEOUT_SECONDS: int = Field(900, ge=60, le=7 * 86_400)
    RETAIL_SESSION_SECRET: str | None = None
    RETAIL_PSEUDONYM_SECRET: str | None = None
    RETAIL_SESSION_TTL_SECONDS: int = Field(7 * 86_400, ge=300, le=90 * 86_400)
    RETAIL_WECHAT_CLIENT: Literal["live", "fake"] | None = None
    RETAIL_LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    WECHAT_APPID: str | None = None
    WECHAT_APP_SECRET: str | None = None
    WECHAT_API_BASE: str = "https://api.weixin.qq.com"
    WECHAT_TIMEOUT_SECONDS: float = Field(3.0, gt=0, le=30)
    WECHAT_PUSH_TOKEN: str | None = None
    WECHAT_PUSH_AES_KEY: str | None = None
    RETAIL_REPAIR_GRACE_SECONDS: int = Field(30, ge=0, le=86_400)
    RETAIL_FREIGHT_FEN: int = Field(800, ge=0)
    RETAIL_FREE_SHIPPING_FEN: int = Field(9900, ge=0)
    RETAIL_INSTANT_FEE_FEN: int = Field(500, ge=0)
    RETAIL_INSTANT_RADIUS_KM: float = Field(5.0, gt=0, le=50)
    RETAIL_AUTO_CONFIRM_DAYS: int = Field(10, ge=1, le=60)
    RETAIL_FAULT_POINT: str | None = None
    WECHATPAY_MODE: Literal["live", "sandbox"] | None = None
    RETAIL_PAYMENT_MODE: Literal["direct", "marketplace"] | None = None
    WECHATPAY_MCHID: str | None = None
    WECHATPAY_SP_MCHID: str | None = None
    WECHATPAY_APPID: str | None = None
    WECHATPAY_APIV3_KEY: str | None = None
    WECHATPAY_PRIVATE_KEY_FILE: str | None = None
    WECHATPAY_CERT_SERIAL: str | None = None
    WECHATPAY_PUBLIC_KEY_FILE: str | None = None
    WECHATPAY_PUBLIC_KEY_ID: str | None = None
    WECHATPAY_PLATFORM_CERT_DIR: str | None = None
    WECHATPAY_NOTIFY_URL: str | None = None
    WECHATPAY_REFUND_NOTIFY_URL: str | None = None
    WECHATPAY_API_BASE: str = "https://api.mch.weixin.qq.com"
    WECHATPAY_TIMEOUT_SECONDS: float = Field(5.0, gt=0, le=30)
    WECHATPAY_SANDBOX_DIR: str = ".data/wechatpay-sandbox"
    RETAIL_RECONCILE_GRACE_SECONDS: int = Field(300, ge=0, le=86_400)
    RETAIL_SETTLEMENT_GRACE_SECONDS: int = Field(1800, ge=0, le=86_400)
    RETAIL_PROFIT_SHARING_DELAY_DAYS: int = Field(7, ge=0, le=150)
    RETAIL_ATTRIBUTION_DAYS: int = Field(7, ge=1, le=90)
    RETAIL_NEW_USER_HOURS: int = Field(24, ge=1, le=720)
    RETAIL_INVITE_POINTS: int = Field(50, ge=0)
    RETAIL_INVITE_DAILY_CAP: int = Field(20, ge=0)
    RETAIL_COMMISSION_BP: int = Field(500, ge=0, le=5000)
    RETAIL_LAPSED_DAYS: int = Field(30, ge=1, le=3650)
    RETAIL_WINBACK_TEMPLATE: str = "c-winback"
    RETAIL_WINBACK_WINDOW_DAYS: int = Field(30, ge=1, le=3650)
    RETAIL_WINBACK_MESSAGE_TEMPLATE: str | None = None
    RETAIL_NOTICE_TEMPLATES: str = "{}"
    RETAIL_WITHDRAW_MIN_FEN: int = Field(100, ge=10)
    RETAIL_WITHDRAW_MIN_ACCOUNT_AGE_SECONDS: int = Field(7 * 86_400, ge=0)
    RETAIL_WITHDRAW_REVIEW_ABOVE_FEN: int = Field(50_000, ge=0)
    RETAIL_WITHDRAW_DAY_CAP_FEN: int = Field(200_000, ge=0)
    RETAIL_WITHDRAW_MONTH_CAP_FEN: int = Field(1_000_000, ge=0)
    WECHATPAY_TRANSFER_NOTIFY_URL: str | None = None
    RETAIL_WINBACK_SEGMENTS: str = Field("", max_length=200, pattern=r"^[a-z_, ]*$")
    WECHAT_MINIPROGRAM_STATE: Literal["developer", "trial", "formal"] = "formal"
    RETAIL_COS_BUCKET: str | None = None
    RETAIL_COS_REGION: str = "ap-shanghai"
    RETAIL_COS_ENDPOINT: str | None = None
    RETAIL_COS_ADDRESSING: Literal["virtual", "path"] = "virtual"
    RETAIL_COS_SECRET_ID: str | None = None
    RETAIL_COS_SECRET_KEY: str | None = None
    RETAIL_RATE_LIMITS: str = (
        '{"default": 600, "coupon_claim": 30, "share_reward": 60, "order_place": 120, '
        '"operator_login": 20, "order_pickup_verify": 30}'
    )
    RETAIL_TRUSTED_PROXY_HOPS: int = Field(0, ge=0, le=5)
    RETAIL_CONSOLE_ORIGIN: str | None = Field(
        None, max_length=200, pattern=r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)?$"
    )
    RETAIL_RISK_LIMITS: str = "{}"
    RETAIL_PRIVACY_POLICY_VERSION: str = Field("2026-01", min_length=1, max_length=32)
    RETAIL_DELIVERY_CLIENT: Literal["live", "fake"] | None = None
    RETAIL_DELIVERY_SECRET: str | None = None

    @property
    def is_dev(self) -> bool:
        return self.RETAIL_ENV == "dev"

    @property
    def payment_mode(self) -> str:
        """direct or marketplace (docs/decisions/0025); production names it (check_config)."""
        return self.RETAIL_PAYMENT_MODE or "direct"

    @property
    def wechat_client(self) -> str:
        return self._client_mode("RETAIL_WECHAT_CLIENT", local="fake")

    @property
    def wechatpay_mode(self) -> str:
        return self._client_mode("WECHATPAY_MODE", local="sandbox")

    @property
    def delivery_client(self) -> str:
        return self._client_mode("RETAIL_DELIVERY_CLIENT", local="fake")

    def _client_mode(self, name: str, *, local: str) -> str:
        """`local` (a fake that never leaves the machine) by default in dev, "live" elsewhere;
        asking for `local` outside dev is refused so production never talks to a fake."""
        chosen = getattr(self, name) or (local if self.is_dev else "live")
        if chosen == local and not self.is_dev:
            raise ConfigurationError(name, f"{local} is refused unless RETAIL_ENV=dev")
        return chosen

    @property
    def delivery_secret(self) -> str:
        if self.RETAIL_DELIVERY_SECRET:
            return self.RETAIL_DELIVERY_SECRET
        if self.is_dev:
            return "dev-only-delivery-secret"
        raise ConfigurationError("RETAIL_DELIVERY_SECRET", "is not set")

    @property
    def pseudonym_secret(self) -> str:
        """The key of users' pseudonyms (common.pseudonyms), never rotated: what anti-abuse
        records hold under it (bans, purchase limits, erased accounts) would be forgotten."""
        return self.RETAIL_PSEUDONYM_SECRET or self.session_secret

    @property
    def session_secret(self) -> str:
        if self.RETAIL_SESSION_SECRET:
            return self.RETAIL_SESSION_SECRET
        if self.is_dev:
            return DEV_SESSION_SECRET
        raise ConfigurationError("RETAIL_SESSION_SECRET", "is not set")

    @property
    def store_uri(self) -> str:
        """RETAIL_DB_URI, checked: production never falls back to a local file. Outside dev a
        missing URI is refused, and so is the embedded engine unless RETAIL_ALLOW_EMBEDDED_STORE
        says so (tests and benches on one machine run production code on it)."""
        uri = self.RETAIL_DB_URI
        if not uri:
            if self.is_dev:
                return DEV_DB_URI
            raise ConfigurationError("RETAIL_DB_URI", "is not set; production needs mongodb://")
        if uri.startswith(MONGO_SCHEMES):
            return uri
        if not uri.startswith("sqlite:///"):
            raise ConfigurationError("RETAIL_DB_URI", "must start with mongodb:// or sqlite:///")
        if not (self.is_dev or self.RETAIL_ALLOW_EMBEDDED_STORE):
            raise ConfigurationError(
                "RETAIL_DB_URI", "sqlite:/// (the embedded engine) is refused when RETAIL_ENV=prod"
            )
        return uri

    def require(self, name: str) -> str:
        """The value of a setting this code path cannot run without."""
        value = getattr(self, name)
        if not value:
            raise ConfigurationError(name, "is not set")
        return str(value)


def positive_int_map(name: str) -> dict[str, int]:
    """A setting holding a JSON object of positive integers (limits by name)."""
    try:
        values = json.loads(getattr(settings(), name))
    except ValueError:
        raise ConfigurationError(name, "must be a JSON object") from None
    if not isinstance(values, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values.values()
    ):
        raise ConfigurationError(name, "maps names to positive integers")
    return values


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings, validated once per process. Raises ConfigurationError naming the setting."""
    if os.path.exists(".env"):
        from dotenv import load_dotenv

        load_dotenv(".env", override=False)
    names = Settings.model_fields
    try:
        # An empty variable counts as unset (`NAME=` in .env.example means "not set").
        given = {k: v for k, v in os.environ.items() if k in names and v != ""}
        return Settings.model_validate(given)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)  # never echo a secret
        bad = ", ".join(sorted({str(err["loc"][0]) for err in errors}))
        why = "; ".join(f"{err['loc'][0]}: {err['msg']}" for err in errors)
        raise ConfigurationError(bad, f"invalid ({why})") from None


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    settings.cache_clear()
