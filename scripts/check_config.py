"""Check a production environment before a deploy, naming every setting that is wrong.

    RETAIL_ENV=prod ... .venv/bin/python scripts/check_config.py [--no-store]   (make check-config)

Reads the settings as a function would (the shell, else `.env`): every setting of
retail.common.production present and well formed, key files readable, notify URLs https,
the store reachable within RETAIL_DB_SERVER_SELECTION_TIMEOUT_MS with its indexes and no
goods on sale that the payment mode may not collect for (二清), and every timer of
serverless.yml a valid SCF cron. Prints one line per problem (never a secret's value) and
exits 1 if there is any, 0 when all checks pass.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
INDEXES = ROOT / "infra" / "indexes.json"
Problem = tuple[str, str]  # (setting or trigger, what is wrong)

# SCF timer cron: second minute hour day-of-month month day-of-week year.
CRON_FIELDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 6), (1970, 2099))
CRON_PART = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?$")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def cron_problem(expression: str) -> str | None:
    fields = expression.split()
    if len(fields) != len(CRON_FIELDS):
        return f"has {len(fields)} fields; SCF's cron has 7 (second first, year last)"
    for position, (text, (low, high)) in enumerate(zip(fields, CRON_FIELDS, strict=True)):
        if position == 5:
            for number, day in enumerate(WEEKDAYS):
                text = text.replace(day, str(number))
        for part in text.split(","):
            if part == "?" and position in (3, 5):
                continue
            if not CRON_PART.match(part):
                return f"field {position + 1} ({part!r}) is not a cron field"
            numbers = [int(n) for n in re.findall(r"\d+", part.split("/")[0])]
            if any(not low <= n <= high for n in numbers):
                return f"field {position + 1} ({part!r}) is outside {low}-{high}"
    return None


def cron_problems(config: Path) -> Iterator[Problem]:
    inputs = yaml.safe_load(config.read_text(encoding="utf-8"))["inputs"]
    for trigger in inputs.get("triggers") or []:
        if trigger["type"] == "timer":
            problem = cron_problem(str(trigger["parameters"]["cronExpression"]))
            if problem:
                yield f"timer {trigger['parameters']['name']}", problem


def setting_problems() -> Iterator[Problem]:
    from retail.common.errors import ConfigurationError
    from retail.common.production import PRODUCTION_SETTINGS
    from retail.common.settings import positive_int_map, settings

    try:
        config = settings()
    except ConfigurationError as exc:
        yield exc.setting, str(exc)[len(exc.setting) + 1 :]
        return
    if config.RETAIL_ENV != "prod":
        yield "RETAIL_ENV", "must be prod for a production check"
    if config.RETAIL_ALLOW_EMBEDDED_STORE:
        yield "RETAIL_ALLOW_EMBEDDED_STORE", "is for tests only; unset it"
    for required in PRODUCTION_SETTINGS:
        needed = config.payment_mode in required.modes
        if needed and not getattr(config, required.name):
            yield required.name, f"is not set ({required.why})"
    for name in ("RETAIL_RATE_LIMITS", "RETAIL_RISK_LIMITS"):
        try:
            positive_int_map(name)
        except ConfigurationError as exc:
            yield exc.setting, str(exc)[len(exc.setting) + 1 :]
    yield from _value_problems(config)


def _value_problems(config: Any) -> Iterator[Problem]:
    from retail.common.errors import ConfigurationError

    try:
        _ = config.store_uri
    except ConfigurationError as exc:
        yield exc.setting, str(exc)[len(exc.setting) + 1 :]
    for name, wanted, rule in (
        ("RETAIL_SESSION_SECRET", lambda v: len(v.encode()) >= 32, "must be at least 32 bytes"),
        ("RETAIL_PSEUDONYM_SECRET", lambda v: len(v.encode()) >= 32, "must be at least 32 bytes"),
        ("WECHATPAY_APIV3_KEY", lambda v: len(v.encode()) == 32, "must be exactly 32 bytes"),
        ("WECHAT_PUSH_AES_KEY", lambda v: len(v) == 43, "must be the 43-character EncodingAESKey"),
        ("WECHATPAY_NOTIFY_URL", lambda v: v.startswith("https://"), "must be an https:// URL"),
        ("WECHATPAY_REFUND_NOTIFY_URL", lambda v: v.startswith("https://"), "must be https://"),
        ("WECHATPAY_TRANSFER_NOTIFY_URL", lambda v: v.startswith("https://"), "must be https://"),
    ):
        value = getattr(config, name)
        if value and not wanted(value):
            yield name, rule
    yield from _repair_problems(config)
    yield from _key_file_problems(config)


def _repair_problems(config: Any) -> Iterator[Problem]:
    """order_repair takes RESERVING orders untouched for its grace: shorter than a retry's
    PLACING_LIMIT (twice order_place's run), it may take a placing that is still alive."""
    from retail.orders.reserving import PLACING_LIMIT

    least, grace = int(PLACING_LIMIT.total_seconds()), config.RETAIL_REPAIR_GRACE_SECONDS
    if grace < least:
        yield "RETAIL_REPAIR_GRACE_SECONDS", f"must be at least {least} seconds"


def _key_file_problems(config: Any) -> Iterator[Problem]:
    from retail.payments import crypto

    loaders: dict[str, Callable[[bytes], object]] = {
        "WECHATPAY_PRIVATE_KEY_FILE": crypto.load_private_key,
        "WECHATPAY_PUBLIC_KEY_FILE": crypto.load_public_key,
    }
    for name, load in loaders.items():
        path = getattr(config, name)
        if not path:
            continue
        try:
            load(Path(path).read_bytes())
        except OSError as exc:
            yield name, f"cannot be read ({exc.strerror or type(exc).__name__})"
        except (ValueError, TypeError):
            yield name, "is not a PEM RSA key of the expected kind"


def store_problems() -> Iterator[Problem]:
    from pymongo.errors import PyMongoError

    from retail.common.database import database
    from retail.common.errors import ConfigurationError, Unavailable
    from retail.store.indexes import missing_indexes

    try:
        database().command("ping")
        lacking = missing_indexes(database(), json.loads(INDEXES.read_text(encoding="utf-8")))
    except ConfigurationError:
        return  # already reported by the setting checks
    except Unavailable:
        yield "RETAIL_DB_URI", "the store did not answer within its server-selection timeout"
    except PyMongoError as exc:
        yield "RETAIL_DB_URI", f"the store refused the connection ({type(exc).__name__})"
    else:
        for index in lacking:  # every query is served by an index: scripts/init_db.py
            yield "RETAIL_DB_URI", f"the store lacks the index {index} (run scripts/init_db.py)"
        if not lacking:
            yield from sale_problems(database())


def sale_problems(db: Any) -> Iterator[Problem]:
    """Goods on sale whose money the payment mode would collect for someone else (二清) or
    could not send to their merchant (catalog.payees): merchant_save takes them off sale."""
    from retail.catalog import sale_refusal

    for merchant in db.merchants.find({}):
        refusal = sale_refusal(merchant)
        on_sale = {"merchant_id": merchant["_id"], "status": "ON_SALE"}
        if refusal and db.products.find_one(on_sale, {"_id": 1}) is not None:
            yield (
                "RETAIL_PAYMENT_MODE",
                f"merchant {merchant['_id']} has goods on sale, but {refusal}",
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--no-store", action="store_true", help="do not contact the store")
    parser.add_argument("--config", type=Path, default=ROOT / "serverless.yml")
    args = parser.parse_args()
    problems = list(setting_problems()) + list(cron_problems(args.config))
    if not args.no_store and not any(name == "RETAIL_DB_URI" for name, _ in problems):
        problems += list(store_problems())
    for name, problem in problems:
        print(f"FAIL {name}: {problem}")
    if problems:
        print(f"{len(problems)} problem(s); fix them before deploying")
        return 1
    print("configuration ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
