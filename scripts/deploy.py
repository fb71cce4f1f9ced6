"""Deploy to Tencent Cloud SCF with the SCF API (tencentcloud-sdk-python-scf): publish the
layer, create or update every function of serverless.yml, add its timers and function URLs.

    make package && .venv/bin/python scripts/deploy.py [--dry-run]
Credentials: TENCENTCLOUD_SECRET_ID/KEY, or the runtime's TENCENTCLOUD_SECRETID/SECRETKEY/
SESSIONTOKEN. --endpoint/--protocol point the SDK elsewhere (the tests use a local server).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from deploy.plan import (
    FUNCTION_URL_DESC,
    HTTP_FUNCTIONS,
    LAYER_NAME,
    Deployment,
    environment,
    read_config,
    zip_b64,
)

ROOT = Path(__file__).resolve().parents[1]


class Api:
    """SCF actions through the SDK's generic JSON call, or printed (dry run)."""

    def __init__(self, region: str, endpoint: str | None, protocol: str, dry_run: bool) -> None:
        self.dry_run = dry_run
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.client = None if dry_run else _client(region, endpoint, protocol)

    def __call__(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        shown = {k: ("<zip>" if k in ("Content", "Code") else v) for k, v in params.items()}
        print(f"{action} {json.dumps(shown, ensure_ascii=False)}")
        self.calls.append((action, params))
        if self.client is None:
            return {}
        answer: dict[str, Any] = self.client.call_json(action, params)["Response"]
        return answer


def _client(region: str, endpoint: str | None, protocol: str) -> Any:
    from tencentcloud.common import credential
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID") or os.environ.get("TENCENTCLOUD_SECRETID")
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY") or os.environ.get(
        "TENCENTCLOUD_SECRETKEY"
    )
    if not (secret_id and secret_key):
        raise SystemExit("set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY")
    cred = credential.Credential(secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSIONTOKEN"))
    http = HttpProfile(endpoint=endpoint or "scf.tencentcloudapi.com", protocol=protocol)
    return CommonClient("scf", "2018-04-16", cred, region, ClientProfile(httpProfile=http))


def deploy(api: Api, deployment: Deployment, dist: Path, resolve: dict[str, str]) -> None:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    layer = api(
        "PublishLayerVersion",
        {
            "LayerName": LAYER_NAME,
            "CompatibleRuntimes": [deployment.runtime],
            "Content": {"ZipFile": zip_b64(dist / "layer.zip")},
            "Description": "retail package and dependencies",
        },
    )
    layers = [{"LayerName": LAYER_NAME, "LayerVersion": layer.get("LayerVersion", 0)}]
    env = environment(deployment, resolve)
    for key, spec in deployment.functions.items():
        name = spec.get("name", key)
        settings = {
            "FunctionName": name,
            "Namespace": deployment.namespace,
            "MemorySize": spec.get("memorySize", deployment.defaults["MemorySize"]),
            "Timeout": spec.get("timeout", deployment.defaults["Timeout"]),
            "Runtime": deployment.runtime,
            "Environment": env,
            "Layers": layers,
            "Description": spec.get("description", "")[:1000],
        }
        code = zip_b64(dist / "functions" / f"{key}.zip")
        exists = True
        if not api.dry_run:
            try:
                api("GetFunction", {"FunctionName": name, "Namespace": deployment.namespace})
            except TencentCloudSDKException as exc:
                if not str(exc.code).startswith("ResourceNotFound"):
                    raise
                exists = False
        if exists and not api.dry_run:
            api(
                "UpdateFunctionCode",
                {
                    "FunctionName": name,
                    "Namespace": deployment.namespace,
                    "Handler": spec["handler"],
                    "ZipFile": code,
                },
            )
            api("UpdateFunctionConfiguration", settings)
        else:
            api(
                "CreateFunction",
                {**settings, "Handler": spec["handler"], "Code": {"ZipFile": code}},
            )
        _triggers(api, deployment, key, name)


def _triggers(api: Api, deployment: Deployment, key: str, name: str) -> None:
    wanted = [
        (t["parameters"]["name"], "timer", t["parameters"]["cronExpression"])
        for t in deployment.timers
        if t["function"] == key
    ]
    if key in HTTP_FUNCTIONS:
        wanted.append((f"{key}_url", "http", FUNCTION_URL_DESC))
    existing = set()
    if wanted and not api.dry_run:
        listed = api("ListTriggers", {"FunctionName": name, "Namespace": deployment.namespace})
        existing = {t.get("TriggerName") for t in listed.get("Triggers", [])}
    for trigger, kind, desc in wanted:
        if trigger not in existing:
            api(
                "CreateTrigger",
                {
                    "FunctionName": name,
                    "Namespace": deployment.namespace,
                    "TriggerName": trigger,
                    "Type": kind,
                    "TriggerDesc": desc,
                    "Enable": "OPEN",
                },
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, call nothing")
    parser.add_argument("--config", type=Path, default=ROOT / "serverless.yml")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--region")
    parser.add_argument("--endpoint")
    parser.add_argument("--protocol", default="https", choices=["https", "http"])
    args = parser.parse_args()
    deployment = read_config(args.config)
    if not (args.dist / "layer.zip").exists():
        raise SystemExit(f"no {args.dist}/layer.zip: run `make package` first")
    api = Api(args.region or deployment.region, args.endpoint, args.protocol, args.dry_run)
    deploy(api, deployment, args.dist, dict(os.environ))
    print(f"{len(api.calls)} calls {'planned' if args.dry_run else 'made'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
