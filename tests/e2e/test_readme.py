"""README's shell blocks run exactly as printed against a dev gateway (only its address is the
test's own free port instead of `make dev`'s 127.0.0.1:8787), in a checkout as `make dev`
leaves it (a `.env` copied from `.env.example`, nothing exported in the shell), and every
answer is OK: a newcomer's first hour must not start with an error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from retail.store import connect

from .conftest import start_gateway, stop_gateway

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
PROMISE = re.compile(r'# "([^"]+)"')
MAKE_BLOCK = "make dev"  # the two commands: CI runs `make test` itself, the demo is tested apart
# The deployment's blocks need your cloud account, production settings or a Docker engine.
CLOUD_MARKERS = ("TENCENTCLOUD_SECRET_ID", "RETAIL_ENV=prod", "scf deploy")


def is_cloud(block: str) -> bool:
    return any(marker in block for marker in CLOUD_MARKERS)


def readme_blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def answers(output: str) -> list[dict]:
    """The JSON answers curl printed back to back (curl -s adds no newline); the scripts'
    own lines of text in between are passed over."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(output):
        if output[at] == "{":
            answer, at = decoder.raw_decode(output, at)
            found.append(answer)
        else:
            end = output.find("\n", at)
            at = len(output) if end < 0 else end + 1
    return found


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("readme"), "dev")
    gateway.checkout = _checkout_after_make_dev(tmp_path_factory.mktemp("checkout"), gateway)
    yield gateway
    stop_gateway(gateway)


def _checkout_after_make_dev(home: Path, shop) -> Path:
    """The repository as `make dev` leaves it: every file, and the `.env` the Makefile copies
    from `.env.example` (its store line naming the test gateway's store, not .data/)."""
    for entry in ROOT.iterdir():
        if entry.name not in (".env", ".git", ".data"):
            (home / entry.name).symlink_to(entry)
    made = subprocess.run(
        ["make", "--no-print-directory", "-s", ".env"], cwd=home, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    dotenv = (home / ".env").read_text(encoding="utf-8")
    assert "RETAIL_ENV=dev\n" in dotenv
    (home / ".env").write_text(
        dotenv.replace("RETAIL_DB_URI=sqlite:///.data/retail.db", f"RETAIL_DB_URI={shop.db_uri}"),
        encoding="utf-8",
    )
    return home


def run_block(shop, block: str) -> list[dict]:
    return answers(run_script(shop, block))


def run_script(shop, block: str) -> str:
    """Run it as a newcomer would after `make dev`, in a fresh shell (no RETAIL_* or WeChat
    setting exported), against the test's gateway and store."""
    script = block.replace("127.0.0.1:8787", shop.url.removeprefix("http://"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETAIL_", "WECHAT"))}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=shop.checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_readme_has_the_two_commands_and_curl_blocks():
    blocks = readme_blocks()
    make = [b for b in blocks if MAKE_BLOCK in b]
    assert len(make) == 1 and "make test" in make[0]
    phony = (ROOT / "Makefile").read_text()
    assert re.search(r"^\.PHONY:.* dev .*test", phony, re.M)
    assert sum("curl" in b for b in blocks) >= 2


@pytest.mark.parametrize(
    "index",
    [n for n, b in enumerate(readme_blocks()) if MAKE_BLOCK not in b and not is_cloud(b)],
)
def test_readme_block_runs_as_printed_and_every_answer_is_ok(shop, index):
    block = readme_blocks()[index]
    output = run_script(shop, block)
    found = answers(output)
    assert len(found) == block.count("curl ") - block.count("$(curl "), found
    assert [a["code"] for a in found] == ["OK"] * len(found), found
    for promised in PROMISE.findall(block):  # `# "40 indexes in place"`: what it prints
        assert promised.removesuffix("...").rstrip(", ") in output, (promised, output)


def test_payment_walkthrough_ends_with_the_order_refunded_every_time(shop):
    walkthrough = next(b for b in readme_blocks() if "/dev/pay/" in b)
    for _ in range(2):  # a newcomer runs it again: the same story, a new order
        found = run_block(shop, walkthrough.replace("o1", "o-walkthrough"))
        assert [a["code"] for a in found] == ["OK"] * len(found), found
        paid = next(a["data"] for a in found if a["data"].get("transaction_id"))
        assert paid["status"] == "PAID"
    db = connect(shop.db_uri)
    orders = list(db.orders.find({"openid": "o-walkthrough"}))
    assert [o["status"] for o in orders] == ["REFUNDED", "REFUNDED"]
    assert db.consent_log.count_documents({"openid": "o-walkthrough"}) == 1


def test_the_deployment_blocks_name_real_targets_and_scripts():
    """They cannot run offline (your cloud account, a Docker engine); every make target in
    them exists and every script in them answers --help."""
    blocks = "\n".join(b for b in readme_blocks() if is_cloud(b))
    assert blocks.count("scf deploy") == 1 and "scripts/deploy.py" in blocks
    makefile = (ROOT / "Makefile").read_text()
    targets = re.findall(r"^make ([a-z-]+)", blocks, re.M)
    assert {"check-config", "image", "package"} <= set(targets)
    assert all(re.search(rf"^{t}:", makefile, re.M) for t in targets)
    scripts = re.findall(r"\.venv/bin/python (scripts/\S+\.py)", blocks)
    assert "scripts/scf_cli.py" in scripts
    for script in scripts:
        done = subprocess.run(
            [sys.executable, script, "--help"], cwd=ROOT, capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr


def test_every_command_named_in_the_text_exists():
    """Commands printed inline (`make lint`, `.venv/bin/python bench/flash_sale.py ...`) are
    not run here, but each names a real target or a script that answers --help, and every
    path README points into the repository exists."""
    text = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    spans = re.findall(r"`([^`\n]+)`", text)
    targets = {t for span in spans for t in re.findall(r"^make ([a-z-]+)", span)}
    assert targets and {t for t in targets if not re.search(rf"^{t}:", makefile, re.M)} == set()
    scripts = {
        found
        for span in spans
        for found in re.findall(r"(?:^|\s|/)((?:scripts|bench)/[a-z_/]+\.py)\b", span)
    }
    assert len(scripts) > 5
    for script in sorted(scripts):
        done = subprocess.run(
            [sys.executable, script, "--help"], cwd=ROOT, capture_output=True, timeout=60
        )
        assert done.returncode == 0, (script, done.stderr[-2000:])
    paths = {
        span.rstrip("/")
        for span in spans
        if re.fullmatch(
            r"(?:tests|docs|infra|schemas|miniprogram|console|layers|functions)/[\w./-]+", span
        )
    }
    assert paths and sorted(p for p in paths if not (ROOT / p).exists()) == []
