"""scripts/deploy.py against a local endpoint through the SDK's endpoint override: the
actions and parameters it sends, signed as the SDK signs them."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import tempfile
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


class ScfState:
    """What the fake SCF holds: like the real API, a change leaves a function Creating or
    Updating (a layer Publishing) for a few status checks, and a change to a function that is
    not Active fails (cloud.tencent.com/document/api/583/47175)."""

    BUSY_CHECKS = 2

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict, dict]] = []
        self.functions: dict[str, dict] = {}  # name -> {"status", "checks"}
        self.triggers: dict[str, list[dict]] = {}
        self.fail_create: set[str] = set()
        self.refused: list[tuple[str, str]] = []

    def _busy(self, name: str, status: str) -> None:
        self.functions[name] = {"status": status, "checks": self.BUSY_CHECKS}

    def _status(self, key: str) -> dict:
        held = self.functions.get(key)
        if held is None:
            return {"Error": {"Code": "ResourceNotFound.Function", "Message": "no such"}}
        if held["checks"] > 0:
            held["checks"] -= 1
            if held["checks"] == 0 and held["status"] != "CreateFailed":
                status, held["status"] = held["status"], "Active"
                return {"Status": status}
        answer = {"Status": held["status"]}
        if held["status"] == "CreateFailed":
            answer["StatusReasons"] = [{"ErrorCode": "1", "ErrorMessage": "bad code"}]
        return answer

    def answer(self, action: str, params: dict) -> dict:
        name = params.get("FunctionName")
        function = self.functions.get(name) if name else None
        if action in ("GetFunction", "GetLayerVersion"):
            key = name if action == "GetFunction" else f"layer:{params['LayerName']}"
            return self._status(key)
        if action == "PublishLayerVersion":
            self.functions[f"layer:{params['LayerName']}"] = {"status": "Publishing", "checks": 1}
            return {"LayerVersion": 7}
        if action == "CreateFunction":
            failed = name in self.fail_create
            self.functions[name] = {"status": "Creating", "checks": self.BUSY_CHECKS}
            if failed:
                self.functions[name] = {"status": "CreateFailed", "checks": 0}
            return {}
        if function is not None and function["status"] != "Active":
            self.refused.append((action, name))
            return {
                "Error": {
                    "Code": "FailedOperation.UpdateFunctionCode",
                    "Message": f"当前函数处于{function['status']}状态,无法进行此操作,请稍后重试",
                }
            }
        if action in ("UpdateFunctionCode", "UpdateFunctionConfiguration"):
            self._busy(name, "Updating")
        elif action == "ListTriggers":
            return {"Triggers": self.triggers.get(name, []), "TotalCount": 0}
        return {}


@pytest.fixture
def scf_state():
    return ScfState()


@pytest.fixture
def scf(scf_state):
    state = scf_state

    class FakeScf(BaseHTTPRequestHandler):
        def do_POST(self):
            action = self.headers["X-TC-Action"]
            params = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.calls.append((action, params, dict(self.headers)))
            answer = {"RequestId": f"req-{len(state.calls)}", **state.answer(action, params)}
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
    yield f"127.0.0.1:{server.server_port}", state.calls
    server.shutdown()


KEYS = Path(tempfile.mkdtemp(prefix="deploy-keys-"))
KEY_TEXT = {
    "WECHATPAY_PRIVATE_KEY_FILE": b"-----BEGIN PRIVATE KEY-----\nMIIEsecretmaterial\n",
    "WECHATPAY_PUBLIC_KEY_FILE": b"-----BEGIN PUBLIC KEY-----\nplatform\n",
}
for _name, _text in KEY_TEXT.items():
    (KEYS / f"{_name}.pem").write_bytes(_text)


def production_shell(**extra: str) -> dict[str, str]:
    """Every `${env:...}` serverless.yml names, set (what a real deploy's shell carries);
    the key-file settings name files on this machine, as on a deploying one."""
    shell = {r.name: f"value-of-{r.name.lower()}" for r in PRODUCTION_SETTINGS}
    shell.update({name: str(KEYS / f"{name}.pem") for name in KEY_TEXT})
    shell.update(RETAIL_DB_URI="mongodb://u:pw@db/retail", CLOUDBASE_ENV_ID="env-prod-1a2b")
    shell.update(extra)
    return shell


def run(dist, *extra, env=None):
    polls = ["--poll-seconds", "0.01"] if "--dry-run" not in extra else []
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "deploy.py"), "--dist", str(dist), *polls, *extra],
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
    assert sorted(p["LayerName"] for p in layers) == [
        "retail-cos-layer",
        "retail-keys-layer",
        "retail-layer",
    ]
    for layer in layers:
        assert layer["CompatibleRuntimes"] == ["Python3.10"] and layer["Content"]["ZipFile"]
    creates = {p["FunctionName"]: p for a, p, _ in calls if a == "CreateFunction"}
    assert sorted(creates) == FUNCTIONS
    place = creates["order_place"]
    assert place["Handler"] == "index.main_handler" and place["Runtime"] == "Python3.10"
    assert place["Namespace"] == "env-prod-1a2b"
    assert place["Layers"] == [
        {"LayerName": "retail-layer", "LayerVersion": 7},
        {"LayerName": "retail-keys-layer", "LayerVersion": 7},
    ]
    assert {"Key": "RETAIL_DB_URI", "Value": "mongodb://u:pw@db/retail"} in place["Environment"][
        "Variables"
    ]
    assert [layer["LayerName"] for layer in creates["settlement_run"]["Layers"]] == [
        "retail-layer",
        "retail-cos-layer",
        "retail-keys-layer",
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


def _deploy(dist, endpoint):
    shell = production_shell(TENCENTCLOUD_SECRET_ID="AKIDtest", TENCENTCLOUD_SECRET_KEY="key")
    return run(dist, "--endpoint", endpoint, "--protocol", "http", env=shell)


def test_every_change_waits_until_the_function_is_active(dist, scf, scf_state):
    """Functions that exist are updated; SCF refuses a change to a function still Updating,
    so the code and the configuration are sent one after the other, each once Active."""
    endpoint, calls = scf
    for name in (spec["name"] for spec in CONFIG["functions"].values()):
        scf_state.functions[name] = {"status": "Updating", "checks": 1}  # a change under way
    result = _deploy(dist, endpoint)
    assert result.returncode == 0, result.stderr
    assert scf_state.refused == []
    assert all(f["status"] == "Active" for f in scf_state.functions.values())
    actions = [a for a, p, _ in calls if p.get("FunctionName") == "order_place"]
    code, config = actions.index("UpdateFunctionCode"), actions.index("UpdateFunctionConfiguration")
    assert "GetFunction" in actions[code:config]
    assert "CreateFunction" not in actions


def test_a_function_that_fails_to_create_stops_the_deploy_with_its_reasons(dist, scf, scf_state):
    endpoint, calls = scf
    first = next(iter(CONFIG["functions"].values()))["name"]  # deployed in the file's order
    scf_state.fail_create.add(first)
    result = _deploy(dist, endpoint)
    assert result.returncode == 1
    assert f"{first}: CreateFailed" in result.stderr and "bad code" in result.stderr
    assert [p["FunctionName"] for a, p, _ in calls if a == "CreateFunction"] == [first]


def test_a_changed_cron_is_updated_and_a_changed_url_is_reported(dist, scf, scf_state):
    endpoint, calls = scf
    timer = next(t for t in CONFIG["triggers"] if t["type"] == "timer")
    url = next(t for t in CONFIG["triggers"] if t["type"] != "timer")
    owner = {t["function"]: CONFIG["functions"][t["function"]]["name"] for t in (timer, url)}
    scf_state.triggers[owner[timer["function"]]] = [
        {"TriggerName": timer["parameters"]["name"], "TriggerDesc": "0 0 3 * * * *"}
    ]
    scf_state.triggers.setdefault(owner[url["function"]], []).append(
        {"TriggerName": url["parameters"]["name"], "TriggerDesc": '{"AuthType": "CAM"}'}
    )
    result = _deploy(dist, endpoint)
    assert result.returncode == 0, result.stderr
    updated = [p for a, p, _ in calls if a == "UpdateTrigger"]
    assert [(p["TriggerName"], p["TriggerDesc"]) for p in updated] == [
        (timer["parameters"]["name"], timer["parameters"]["cronExpression"])
    ]
    created = {p["TriggerName"] for a, p, _ in calls if a == "CreateTrigger"}
    assert timer["parameters"]["name"] not in created and url["parameters"]["name"] not in created
    assert f"function URL {url['parameters']['name']} differs" in result.stdout


def test_the_wechat_pay_key_files_go_up_in_their_own_layer_and_the_settings_name_them(dist, scf):
    """The key files are on the deploying machine: SCF would find nothing at those paths.
    They are shipped in retail-keys-layer (never in the code packages, never printed) and
    every function's settings name them under /opt, where SCF unpacks layers."""
    endpoint, calls = scf
    result = _deploy(dist, endpoint)
    assert result.returncode == 0, result.stderr
    keys = next(p for a, p, _ in calls if a == "PublishLayerVersion" and "keys" in p["LayerName"])
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(keys["Content"]["ZipFile"]))) as archive:
        shipped = {name: archive.read(name) for name in archive.namelist()}
    assert shipped == {f"keys/{n.lower()}.pem": text for n, text in KEY_TEXT.items()}
    for action, params, _ in calls:
        if action != "CreateFunction":
            continue
        variables = {v["Key"]: v["Value"] for v in params["Environment"]["Variables"]}
        for name in KEY_TEXT:
            assert variables[name] == f"/opt/keys/{name.lower()}.pem"
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(params["Code"]["ZipFile"]))) as code:
            assert not any(n.endswith(".pem") for n in code.namelist())
    assert "MIIEsecretmaterial" not in result.stdout


def test_a_key_file_that_is_not_there_stops_the_plan_naming_it(dist):
    shell = production_shell(WECHATPAY_PRIVATE_KEY_FILE="/nowhere/apiclient_key.pem")
    result = run(dist, "--dry-run", env=shell)
    assert result.returncode == 2
    assert "WECHATPAY_PRIVATE_KEY_FILE" in result.stderr and "CreateFunction" not in result.stdout
