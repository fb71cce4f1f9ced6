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

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))["inputs"]
FUNCTIONS = sorted(CONFIG["functions"])


@pytest.fixture
def dist(tmp_path):
    out = tmp_path / "dist"
    (out / "functions").mkdir(parents=True)
    for name in [*FUNCTIONS, None]:
        target = out / "functions" / f"{name}.zip" if name else out / "layer.zip"
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("index.py" if name else "retail/__init__.py", "# packaged\n")
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


def run(dist, *extra, env=None):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy.py"), "--dist", str(dist), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_dry_run_lists_every_function_of_serverless_yml(dist):
    result = run(dist, "--dry-run")
    assert result.returncode == 0, result.stderr
    created = [
        json.loads(line.split(" ", 1)[1])["FunctionName"]
        for line in result.stdout.splitlines()
        if line.startswith("CreateFunction ")
    ]
    assert sorted(created) == sorted(spec["name"] for spec in CONFIG["functions"].values())


def test_deploy_publishes_the_layer_creates_functions_timers_and_urls(dist, scf):
    endpoint, calls = scf
    result = run(
        dist,
        "--endpoint",
        endpoint,
        "--protocol",
        "http",
        env={
            "TENCENTCLOUD_SECRET_ID": "AKIDtest",
            "TENCENTCLOUD_SECRET_KEY": "key",
            "RETAIL_DB_URI": "mongodb://db/retail",
        },
    )
    assert result.returncode == 0, result.stderr
    actions = [action for action, _, _ in calls]
    assert actions[0] == "PublishLayerVersion"
    assert calls[0][1]["CompatibleRuntimes"] == ["Python3.10"] and calls[0][1]["Content"]["ZipFile"]
    creates = {p["FunctionName"]: p for a, p, _ in calls if a == "CreateFunction"}
    assert sorted(creates) == FUNCTIONS
    place = creates["order_place"]
    assert place["Handler"] == "index.main_handler" and place["Runtime"] == "Python3.10"
    assert place["Layers"] == [{"LayerName": "retail-layer", "LayerVersion": 7}]
    assert {"Key": "RETAIL_DB_URI", "Value": "mongodb://db/retail"} in place["Environment"][
        "Variables"
    ]
    triggers = {p["TriggerName"]: p for a, p, _ in calls if a == "CreateTrigger"}
    timers = {t["parameters"]["name"] for t in CONFIG["triggers"]}
    assert timers <= set(triggers)
    assert triggers["payment_notify_url"]["Type"] == "http"
    assert all(
        len(p["TriggerDesc"].split()) == 7 for p in triggers.values() if p["Type"] == "timer"
    )
    auth = calls[0][2]["Authorization"]
    assert auth.startswith("TC3-HMAC-SHA256 Credential=AKIDtest/") and "scf/tc3_request" in auth


def test_missing_credentials_fail_with_the_setting_names(dist):
    result = run(dist, "--endpoint", "127.0.0.1:9", "--protocol", "http")
    assert result.returncode != 0 and "TENCENTCLOUD_SECRET_ID" in result.stderr


def test_cloudbaserc_deploys_the_same_functions_and_timers():
    rc = json.loads((ROOT / "infra" / "cloudbaserc.json").read_text(encoding="utf-8"))
    assert sorted(f["name"] for f in rc["functions"]) == sorted(
        spec["name"] for spec in CONFIG["functions"].values()
    )
    timers = {(t["function"], t["parameters"]["cronExpression"]) for t in CONFIG["triggers"]}
    declared = {(f["name"], t["config"]) for f in rc["functions"] for t in f.get("triggers", [])}
    assert declared == timers
