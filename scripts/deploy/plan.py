"""What a deployment does, read from serverless.yml: every function with its own settings,
layers, memory and timeout, its timers and function URLs (docs/decisions/0008)."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from retail.common.production import SECRET_NAMES

LAYER_ZIPS = {"retail-layer": "layer.zip", "retail-cos-layer": "layer-cos.zip"}
ENV_REFERENCE = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")
MASK = "***"
TEST_ONLY_SETTINGS = ("RETAIL_ALLOW_EMBEDDED_STORE",)
# Settings that name a file: the file is on the deploying machine, so the deploy ships it in
# a layer of its own (SCF unpacks layers under /opt) and points the setting there.
KEY_FILE_SETTINGS = ("WECHATPAY_PRIVATE_KEY_FILE", "WECHATPAY_PUBLIC_KEY_FILE")
KEYS_LAYER = "retail-keys-layer"
KEYS_MOUNT = "/opt/keys"


class PlanError(SystemExit):
    """The plan cannot be made; the message names every setting that is wrong."""


@dataclass(frozen=True)
class FunctionPlan:
    key: str
    name: str
    handler: str
    description: str
    memory: int
    timeout: int
    environment: list[dict[str, str]]
    layers: list[str]


@dataclass
class Deployment:
    region: str
    namespace: str
    runtime: str
    functions: dict[str, FunctionPlan]
    timers: list[dict[str, Any]] = field(default_factory=list)
    urls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def layer_names(self) -> list[str]:
        return sorted({name for f in self.functions.values() for name in f.layers})


def read_config(path: Path) -> Deployment:
    inputs = yaml.safe_load(path.read_text(encoding="utf-8"))["inputs"]
    functions = {
        key: FunctionPlan(
            key=key,
            name=spec.get("name", key),
            handler=spec["handler"],
            description=spec.get("description", ""),
            memory=spec["memorySize"],
            timeout=spec["timeout"],
            environment=spec["environments"],
            layers=[layer["name"] for layer in spec["layers"]],
        )
        for key, spec in inputs["functions"].items()
    }
    triggers = inputs.get("triggers") or []
    return Deployment(
        region=inputs["region"],
        namespace=inputs["namespace"],
        runtime=inputs["runtime"],
        functions=functions,
        timers=[t for t in triggers if t["type"] == "timer"],
        urls=[t for t in triggers if t["type"] == "http"],
    )


def zip_b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def resolve(value: Any, shell: dict[str, str], missing: set[str]) -> str:
    """`${env:NAME}` from the shell; an unset or empty NAME is collected in `missing`."""
    text = str(value)
    reference = ENV_REFERENCE.match(text)
    if not reference:
        return text
    resolved = shell.get(reference.group(1), "")
    if not resolved:
        missing.add(reference.group(1))
    return resolved


def resolve_settings(deployment: Deployment, shell: dict[str, str]) -> dict[str, list[dict]]:
    """Every function's SCF `Environment.Variables`. Raises PlanError naming each missing
    `${env:...}` (a deploy never plans an empty secret) and any test-only setting."""
    missing: set[str] = set()
    planned = {
        key: [
            {"Key": item["key"], "Value": resolve(item["value"], shell, missing)}
            for item in spec.environment
        ]
        for key, spec in deployment.functions.items()
    }
    if missing:
        raise PlanError("not set in the shell: " + ", ".join(sorted(missing)))
    refused = {v["Key"] for vs in planned.values() for v in vs} & set(TEST_ONLY_SETTINGS)
    if refused:
        raise PlanError(f"{', '.join(sorted(refused))} is for tests only; remove it")
    return planned


def resolve_namespace(deployment: Deployment, shell: dict[str, str], given: str | None) -> str:
    if given:
        return given
    missing: set[str] = set()
    namespace = resolve(deployment.namespace, shell, missing)
    if missing:
        raise PlanError(f"no namespace: pass --namespace <CloudBase env id> or set {missing.pop()}")
    return namespace


def _key_files(settings: dict[str, list[dict]]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for variables in settings.values():
        for variable in variables:
            if variable["Key"] in KEY_FILE_SETTINGS and variable["Value"]:
                files.setdefault(variable["Key"], Path(variable["Value"]).expanduser())
    unreadable = sorted(name for name, path in files.items() if not path.is_file())
    if unreadable:
        raise PlanError("no such file for " + ", ".join(unreadable))
    return files


def ship_key_files(settings: dict[str, list[dict]]) -> tuple[str | None, list[str]]:
    """The keys layer (base64 zip; None if no setting names a file) and the functions that
    need it; each key-file setting is rewritten to where SCF unpacks the layer. Raises
    PlanError naming a setting whose file cannot be read."""
    files = _key_files(settings)
    if not files:
        return None, []
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, path in sorted(files.items()):
            zipped.writestr(f"keys/{name.lower()}.pem", path.read_bytes())
    users = []
    for key, variables in settings.items():
        for variable in variables:
            if variable["Key"] in files:
                variable["Value"] = f"{KEYS_MOUNT}/{variable['Key'].lower()}.pem"
                if key not in users:
                    users.append(key)
    return base64.b64encode(archive.getvalue()).decode(), users


def masked(params: dict[str, Any]) -> dict[str, Any]:
    """`params` as printed: code as <zip>, secret settings as ***."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key in ("Content", "Code", "ZipFile"):
            shown[key] = "<zip>"
        elif key == "Environment":
            shown[key] = {
                "Variables": [
                    {**v, "Value": MASK} if v["Key"] in SECRET_NAMES else v
                    for v in value["Variables"]
                ]
            }
        else:
            shown[key] = value
    return shown


def url_trigger_desc(parameters: dict[str, Any]) -> str:
    """CreateTrigger's TriggerDesc for a function URL, as tencent-component-toolkit's
    HttpTrigger.formatInputs builds it from the same serverless.yml parameters."""
    net = parameters.get("netConfig") or {}
    return json.dumps(
        {
            "AuthType": parameters.get("authType", "NONE"),
            "NetConfig": {
                "EnableIntranet": bool(net.get("enableIntranet", False)),
                "EnableExtranet": bool(net.get("enableExtranet", False)),
            },
        },
        separators=(",", ":"),
    )


def wanted_triggers(deployment: Deployment, key: str) -> list[tuple[str, str, str, str]]:
    """(name, type, TriggerDesc, Qualifier) of every trigger serverless.yml gives `key`."""
    wanted = [
        (t["parameters"]["name"], "timer", t["parameters"]["cronExpression"], "$DEFAULT")
        for t in deployment.timers
        if t["function"] == key
    ]
    wanted += [
        (
            t["parameters"]["name"],
            "http",
            url_trigger_desc(t["parameters"]),
            t["parameters"].get("qualifier", "$DEFAULT"),
        )
        for t in deployment.urls
        if t["function"] == key
    ]
    return wanted
