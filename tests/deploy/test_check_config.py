"""scripts/check_config.py names every setting that is wrong, never prints a secret, and
checks that the store answers (against loopback addresses only)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retail.common.production import PRODUCTION_SETTINGS
from retail_dev.wechatpay_keys import new_key_pair

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@pytest.fixture
def complete(tmp_path) -> dict[str, str]:
    """A production environment with every setting well formed."""
    private, public = new_key_pair()
    (tmp_path / "apiclient_key.pem").write_bytes(private)
    (tmp_path / "pub_key.pem").write_bytes(public)
    env = {r.name: f"value-{r.name.lower()}" for r in PRODUCTION_SETTINGS}
    env.update(
        RETAIL_ENV="prod",
        RETAIL_PAYMENT_MODE="direct",
        RETAIL_DB_URI=f"mongodb://127.0.0.1:{closed_port()}/retail?directConnection=true",
        RETAIL_SESSION_SECRET="a-session-secret-of-at-least-32-bytes!",
        RETAIL_PSEUDONYM_SECRET="a-pseudonym-key-of-at-least-32-bytes!!",
        WECHATPAY_APIV3_KEY="k" * 32,
        WECHAT_PUSH_AES_KEY="A" * 43,
        WECHATPAY_PRIVATE_KEY_FILE=str(tmp_path / "apiclient_key.pem"),
        WECHATPAY_PUBLIC_KEY_FILE=str(tmp_path / "pub_key.pem"),
        WECHATPAY_NOTIFY_URL="https://notify.example/pay",
        WECHATPAY_REFUND_NOTIFY_URL="https://notify.example/refund",
        WECHATPAY_TRANSFER_NOTIFY_URL="https://notify.example/transfer",
        RETAIL_CONSOLE_ORIGIN="https://console.example",
        RETAIL_DB_SERVER_SELECTION_TIMEOUT_MS="500",
    )
    return env


def check(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_config.py"), *args],
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def failed(result: subprocess.CompletedProcess[str]) -> set[str]:
    return {
        line.split(" ", 1)[1].split(":", 1)[0]
        for line in result.stdout.splitlines()
        if line.startswith("FAIL ")
    }


def test_an_empty_production_environment_names_every_missing_setting(tmp_path):
    result = check({"RETAIL_ENV": "prod"}, cwd=tmp_path)
    assert result.returncode == 1
    assert {r.name for r in PRODUCTION_SETTINGS if "direct" in r.modes} <= failed(result)
    assert "RETAIL_PAYMENT_MODE" in failed(result)  # no default in production: it is a choice
    assert "WECHATPAY_SP_MCHID" not in failed(result)


def test_each_payment_mode_needs_its_own_merchant_account(complete, tmp_path):
    complete.pop("WECHATPAY_SP_MCHID")
    assert failed(check(complete, "--no-store", cwd=tmp_path)) == set()
    complete.update(RETAIL_PAYMENT_MODE="marketplace")
    result = check(complete, "--no-store", cwd=tmp_path)
    assert failed(result) == {"WECHATPAY_SP_MCHID"}
    assert "平台收付通" in result.stdout
    complete.update(WECHATPAY_SP_MCHID="1900000100")
    complete.pop("WECHATPAY_MCHID")
    assert failed(check(complete, "--no-store", cwd=tmp_path)) == set()


def test_a_complete_environment_passes_without_the_store(complete, tmp_path):
    result = check(complete, "--no-store", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "configuration ok" in result.stdout


def test_an_unreachable_store_is_named_within_its_timeout(complete, tmp_path):
    started = time.monotonic()
    result = check(complete, cwd=tmp_path)
    assert result.returncode == 1 and failed(result) == {"RETAIL_DB_URI"}
    assert time.monotonic() - started < 30


def test_malformed_values_are_named_and_never_printed(complete, tmp_path):
    complete.update(
        RETAIL_SESSION_SECRET="short-secret-value",
        WECHATPAY_APIV3_KEY="too-short-apiv3-key",
        WECHATPAY_PRIVATE_KEY_FILE=str(tmp_path / "missing.pem"),
        WECHATPAY_NOTIFY_URL="http://plain.example/pay",
        RETAIL_RATE_LIMITS='{"default": -1}',
    )
    result = check(complete, "--no-store", cwd=tmp_path)
    assert failed(result) == {
        "RETAIL_SESSION_SECRET",
        "WECHATPAY_APIV3_KEY",
        "WECHATPAY_PRIVATE_KEY_FILE",
        "WECHATPAY_NOTIFY_URL",
        "RETAIL_RATE_LIMITS",
    }
    assert "short-secret-value" not in result.stdout + result.stderr
    assert "too-short-apiv3-key" not in result.stdout + result.stderr


def test_a_repair_grace_shorter_than_a_placing_may_live_is_named(complete, tmp_path):
    complete["RETAIL_REPAIR_GRACE_SECONDS"] = "5"
    assert failed(check(complete, "--no-store", cwd=tmp_path)) == {"RETAIL_REPAIR_GRACE_SECONDS"}
    complete["RETAIL_REPAIR_GRACE_SECONDS"] = "20"
    assert failed(check(complete, "--no-store", cwd=tmp_path)) == set()


def test_the_embedded_store_and_its_test_switch_are_refused(complete, tmp_path):
    complete.update(RETAIL_DB_URI="sqlite:///prod.db", RETAIL_ALLOW_EMBEDDED_STORE="yes")
    result = check(complete, "--no-store", cwd=tmp_path)
    assert failed(result) == {"RETAIL_ALLOW_EMBEDDED_STORE"}
    complete.pop("RETAIL_ALLOW_EMBEDDED_STORE")
    assert failed(check(complete, "--no-store", cwd=tmp_path)) == {"RETAIL_DB_URI"}


def test_an_invalid_setting_value_is_named_without_echoing_it(complete, tmp_path):
    complete["RETAIL_DB_MAX_POOL_SIZE"] = "lots-of-connections"
    result = check(complete, "--no-store", cwd=tmp_path)
    assert failed(result) == {"RETAIL_DB_MAX_POOL_SIZE"}
    assert "lots-of-connections" not in result.stdout


def test_a_bad_timer_cron_is_named(complete, tmp_path):
    config = (ROOT / "serverless.yml").read_text(encoding="utf-8")
    bad = tmp_path / "serverless.yml"
    bad.write_text(config.replace('"0 */1 * * * * *"', '"0 */1 * * *"', 1), encoding="utf-8")
    result = check(complete, "--no-store", "--config", str(bad), cwd=tmp_path)
    assert failed(result) == {"timer order_expire_every_minute"}
    assert "7" in result.stdout


def test_every_timer_of_serverless_yml_is_a_valid_cron(complete, tmp_path):
    result = check(complete, "--no-store", cwd=tmp_path)
    assert not any(name.startswith("timer ") for name in failed(result))


def test_a_store_without_the_projects_indexes_is_named_until_init_db_runs(tmp_path):
    """Every query is served by an index only where init_db has created them."""
    env = {"RETAIL_ENV": "dev", "RETAIL_DB_URI": f"sqlite:///{tmp_path}/store.db"}
    before = check(env, cwd=tmp_path).stdout
    assert "the store lacks the index orders: [['status', 1], ['pay_deadline', 1]]" in before
    init = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "init_db.py")],
        env={"PATH": os.environ["PATH"], **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    assert "the store lacks" not in check(env, cwd=tmp_path).stdout


def test_goods_on_sale_that_the_payment_mode_would_collect_for_another_are_named(
    complete, tmp_path
):
    """A shop seeded in dev (every merchant sells there) deployed in direct mode: two of its
    merchants are not the platform's own, so their money would pass through its account."""
    store = {"RETAIL_DB_URI": f"sqlite:///{tmp_path}/store.db"}
    for script in (["init_db.py"], ["seed.py", str(ROOT / "infra" / "seed" / "demo.json")]):
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / script[0]), *script[1:]],
            env={"PATH": os.environ["PATH"], "RETAIL_ENV": "dev", **store},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    complete.update(store, RETAIL_ALLOW_EMBEDDED_STORE="yes")
    result = check(complete, cwd=tmp_path)
    named = [line for line in result.stdout.splitlines() if "RETAIL_PAYMENT_MODE" in line]
    assert len(named) == 2 and all("二清" in line for line in named), result.stdout
    assert {"m-dianfeng", "m-huaxia"} == {line.split()[3] for line in named}
    complete.update(RETAIL_PAYMENT_MODE="marketplace", WECHATPAY_SP_MCHID="1900000100")
    named = [line for line in check(complete, cwd=tmp_path).stdout.splitlines() if "sale" in line]
    assert len(named) == 3 and all("sub_mchid" in line for line in named)  # own ones too
