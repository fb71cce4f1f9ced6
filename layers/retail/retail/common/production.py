"""The settings a production deployment must carry, which of them are secrets, and the
checks scripts/check_config.py runs on them before a deploy.

serverless.yml gives every function exactly these (plus RETAIL_ENV=prod); scripts/deploy.py
masks the secrets in what it prints. A test keeps the three in step.
"""

from __future__ import annotations

from dataclasses import dataclass

EVERY_MODE = ("direct", "marketplace")  # RETAIL_PAYMENT_MODE


@dataclass(frozen=True)
class Required:
    name: str
    secret: bool = False
    why: str = ""
    modes: tuple[str, ...] = EVERY_MODE  # the payment modes that need it


PRODUCTION_SETTINGS: tuple[Required, ...] = (
    Required("RETAIL_DB_URI", True, "the MongoDB every function reads and writes"),
    Required("RETAIL_SESSION_SECRET", True, "signs session and operator tokens"),
    Required(
        "RETAIL_PSEUDONYM_SECRET", True, "keys users' pseudonyms (bans, limits); never rotated"
    ),
    Required("WECHAT_APPID", False, "code2session, subscribe messages"),
    Required("WECHAT_APP_SECRET", True, "code2session, access tokens"),
    Required("WECHAT_PUSH_TOKEN", True, "verifies WeChat's message push (platform_event)"),
    Required("WECHAT_PUSH_AES_KEY", True, "opens WeChat's message push in secure mode"),
    Required(
        "RETAIL_PAYMENT_MODE",
        False,
        "direct (the platform's own goods) or marketplace (平台收付通): one account collecting "
        "other merchants' money is 二清",
    ),
    Required("WECHATPAY_MCHID", False, "the shop's WeChat Pay merchant", ("direct",)),
    Required("WECHATPAY_SP_MCHID", False, "the platform's 平台收付通 merchant", ("marketplace",)),
    Required("WECHATPAY_APPID", False, "WeChat Pay app id"),
    Required("WECHATPAY_APIV3_KEY", True, "decrypts payment and refund notifications"),
    Required("WECHATPAY_PRIVATE_KEY_FILE", False, "signs WeChat Pay requests (a file path)"),
    Required("WECHATPAY_CERT_SERIAL", False, "the merchant certificate's serial"),
    Required("WECHATPAY_PUBLIC_KEY_FILE", False, "verifies WeChat Pay answers (a file path)"),
    Required("WECHATPAY_PUBLIC_KEY_ID", False, "the WeChat Pay public key's id"),
    Required("WECHATPAY_NOTIFY_URL", False, "payment_notify's function URL"),
    Required("WECHATPAY_REFUND_NOTIFY_URL", False, "refund_notify's function URL"),
    Required("WECHATPAY_TRANSFER_NOTIFY_URL", False, "transfer_notify's function URL"),
    Required("RETAIL_COS_BUCKET", False, "statement CSVs"),
    Required("RETAIL_COS_SECRET_ID", True, "statement CSVs"),
    Required("RETAIL_COS_SECRET_KEY", True, "statement CSVs"),
    Required("RETAIL_DELIVERY_SECRET", True, "verifies delivery_notify's signature"),
    Required("RETAIL_CONSOLE_ORIGIN", False, "the console's static host, allowed by CORS"),
)

SECRET_NAMES = frozenset(r.name for r in PRODUCTION_SETTINGS if r.secret)
