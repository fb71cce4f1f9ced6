"""scripts/deploy.py against a local endpoint through the SDK's endpoint override: the
actions and parameters it sends, signed as the SDK signs them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from retail.common.production import PRODUCTION_SETTINGS, SECRET_NAMES

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))["inputs"]
FUNCTIONS = sorted(CONFIG["functions"])


@pytest.fixture
def dist(tmp_path):
    out = tmp_path / "dist"
    (out / "functions").mkdir(parents=True)
    for name in FUNCTIONS:
        with zipfile.ZipFile(out / "functions" / f"{name}.zip", "w") as archive:
            archive.writestr("index.py", "# packaged\n")
    for layer in ("layer.zip", "layer-cos.zip"):
        with zipfile.ZipFile(out / layer, "w") as archive:
            archive.writestr("retail/__init__.py", "# packaged\n")
    return out


@pytest.fixture
def scf():
    calls: list[tuple[str, dict, dict]] = []

    class FakeScf(BaseHTTPRequestHandler):
        def do_POST(self):
            action = self.headers["X-TC-Action"]
            params = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append((action, params, dict(self.headers)))
            answer = {"RequestId": f"req-{len(calls)}"}
            if action == "GetFunction":
                answer["Error"] = {"Code": "ResourceNotFound.Function", "Message": "no such"}
            elif action == "PublishLayerVersion":
                answer["LayerVersion"] = 7
            elif action == "ListTriggers":
                answer.update(Triggers=[], TotalCount=0)
            body = json.dumps({"Response": answer}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), FakeScf)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}", calls
    server.shutdown()


def production_shell(**extra: str) -> dict[str, str]:
    """Every `${env:...}` serverless.yml names, set (what a real deploy's shell carries)."""
    shell = {r.name: f"value-of-{r.name.lower()}" for r in PRODUCTION_SETTINGS}
    shell.update(RETAIL_DB_URI="mongodb://u:pw@db/retail", CLOUDBASE_ENV_ID="env-prod-1a2b")
    shell.update(extra)
    return shell


def run(dist, *extra, env=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy.py"), "--dist", str(dist), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_dry_run_lists_every_function_of_serverless_yml_with_progress(dist):
    result = run(dist, "--dry-run", env=production_shell())
    assert result.returncode == 0, result.stderr
    created = [
        json.loads(line.split(" ", 3)[3])["FunctionName"]
        for line in result.stdout.splitlines()
        if line.startswith("  CreateFunction ")
    ]
    assert sorted(created) == sorted(spec["name"] for spec in CONFIG["functions"].values())
    total = len(FUNCTIONS)
    assert f"[1/{total}] " in result.stdout and f"[{total}/{total}] " in result.stdout


def test_dry_run_masks_every_secret(dist):
    shell = production_shell()
    result = run(dist, "--dry-run", env=shell)
    assert result.returncode == 0, result.stderr
    for name in SECRET_NAMES:
        assert shell[name] not in result.stdout, f"{name} printed in clear"
    assert '"Value": "***"' in result.stdout
    assert shell["WECHAT_APPID"] in result.stdout  # not a secret: shown, so the plan is checkable


def test_a_missing_env_reference_is_an_error_naming_it(dist):
    shell = production_shell()
    del shell["RETAIL_DB_URI"], shell["WECHATPAY_APIV3_KEY"]
    result = run(dist, "--dry-run", env=shell)
    assert result.returncode == 2
    assert "RETAIL_DB_URI" in result.stderr and "WECHATPAY_APIV3_KEY" in result.stderr
    assert "CreateFunction" not in result.stdout


def test_the_namespace_is_the_cloudbase_env_id_or_the_option(dist):
    shell = production_shell()
    assert '"Namespace": "env-prod-1a2b"' in run(dist, "--dry-run", env=shell).stdout
    chosen = run(dist, "--dry-run", "--namespace", "env-other", env=shell).stdout
    assert '"Namespace": "env-other"' in chosen and "env-prod-1a2b" not in chosen
    del shell["CLOUDBASE_ENV_ID"]
    missing = run(dist, "--dry-run", env=shell)
    assert missing.returncode == 2 and "--namespace" in missing.stderr


def test_deploy_publishes_the_layers_creates_functions_timers_and_urls(dist, scf):
    endpoint, calls = scf
    shell = production_shell(TENCENTCLOUD_SECRET_ID="AKIDtest", TENCENTCLOUD_SECRET_KEY="key")
    result = run(dist, "--endpoint", endpoint, "--protocol", "http", env=shell)
    assert result.returncode == 0, result.stderr
    layers = [p for a, p, _ in calls if a == "PublishLayerVersion"]
    assert sorted(p["LayerName"] for p in layers) == ["retail-cos-layer", "retail-layer"]
    for layer in layers:
        assert layer["CompatibleRuntimes"] == ["Python3.10"] and layer["Content"]["ZipFile"]
    creates = {p["FunctionName"]: p for a, p, _ in calls if a == "CreateFunction"}
    assert sorted(creates) == FUNCTIONS
    place = creates["order_place"]
    assert place["Handler"] == "index.main_handler" and place["Runtime"] == "Python3.10"
    assert place["Namespace"] == "env-prod-1a2b"
    assert place["Layers"] == [{"LayerName": "retail-layer", "LayerVersion": 7}]
    assert {"Key": "RETAIL_DB_URI", "Value": "mongodb://u:pw@db/retail"} in place["Environment"][
        "Variables"
    ]
    assert [layer["LayerName"] for layer in creates["settlement_run"]["Layers"]] == [
        "retail-layer",
        "retail-cos-layer",
    ]
    triggers = {p["TriggerName"]: p for a, p, _ in calls if a == "CreateTrigger"}
    names = {t["parameters"]["name"] for t in CONFIG["triggers"]}
    assert names == set(triggers)
    url = triggers["payment_notify_url"]
    assert url["Type"] == "http" and url["Qualifier"] == "$DEFAULT"
    assert json.loads(url["TriggerDesc"]) == {
        "AuthType": "NONE",
        "NetConfig": {"EnableIntranet": False, "EnableExtranet": True},
    }
    assert all(
        len(p["TriggerDesc"].split()) == 7 for p in triggers.values() if p["Type"] == "timer"
    )
    auth = calls[0][2]["Authorization"]
    assert auth.startswith("TC3-HMAC-SHA256 Credential=AKIDtest/") and "scf/tc3_request" in auth


def test_missing_credentials_fail_with_the_setting_names(dist):
    result = run(dist, "--endpoint", "127.0.0.1:9", "--protocol", "http", env=production_shell())
    assert result.returncode != 0 and "TENCENTCLOUD_SECRET_ID" in result.stderr
