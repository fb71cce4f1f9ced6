"""What a deployment does, as a list of SCF API calls, read from serverless.yml and dist/."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LAYER_NAME = "retail-layer"
HTTP_FUNCTIONS = ("payment_notify", "refund_notify", "delivery_notify")
FUNCTION_URL_DESC = '{"AuthType":"NONE","NetConfig":{"EnableIntranet":true,"EnableExtranet":true}}'


@dataclass
class Deployment:
    region: str
    namespace: str
    runtime: str
    functions: dict[str, dict[str, Any]]
    environment: list[dict[str, str]]
    timers: list[dict[str, Any]] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)


def read_config(path: Path) -> Deployment:
    inputs = yaml.safe_load(path.read_text(encoding="utf-8"))["inputs"]
    timers = [t for t in inputs.get("triggers") or [] if t["type"] == "timer"]
    return Deployment(
        region=inputs["region"],
        namespace=inputs.get("namespace", "default"),
        runtime=inputs["runtime"],
        functions=inputs["functions"],
        environment=inputs.get("environments") or [],
        timers=timers,
        defaults={
            "MemorySize": inputs.get("memorySize", 256),
            "Timeout": inputs.get("timeout", 10),
        },
    )


def zip_b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def environment(deployment: Deployment, resolve: dict[str, str]) -> dict[str, Any]:
    """serverless.yml's environments, with ${env:NAME} taken from `resolve` (the shell)."""
    variables = []
    for item in deployment.environment:
        value = str(item["value"])
        if value.startswith("${env:") and value.endswith("}"):
            value = resolve.get(value[6:-1], "")
        variables.append({"Key": item["key"], "Value": value})
    return {"Variables": variables}
