"""Deploy to Tencent Cloud SCF with the SCF API (the default deploy path; docs/decisions/0008):
publish the layers, create or update every function of serverless.yml with its own settings,
layers, memory and timeout, add its timers and function URLs. The WeChat Pay key files the
settings name (paths on this machine) go up in a layer of their own, retail-keys-layer, and
the functions' settings name them where SCF unpacks it (/opt/keys/...).

    make package && .venv/bin/python scripts/deploy.py --namespace <CloudBase env id> [--dry-run]

Settings: every `${env:NAME}` of serverless.yml comes from the shell; a missing one stops the
deploy before any call, naming it. Secrets are printed as ***. Credentials:
TENCENTCLOUD_SECRET_ID/KEY, or the runtime's TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN.
--endpoint/--protocol point the SDK elsewhere (the tests use a local server).

SCF's management API is asynchronous: a function is Creating / Updating and a layer
Publishing for a while after the call, and the next change to it fails until it is Active
(cloud.tencent.com/document/api/583/47175). So every change waits for Active, and stops
with the function's StatusReasons on CreateFailed / UpdateFailed / PublishFailed. A timer
whose cron changed is updated in place (UpdateTrigger, cloud.tencent.com/document/api/583/
96828); a function URL that changed is reported, not re-created, since a new one would have a
new address (WeChat Pay's notify_url names it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from deploy.plan import (
    KEYS_LAYER,
    LAYER_ZIPS,
    Deployment,
    FunctionPlan,
    PlanError,
    masked,
    read_config,
    resolve_namespace,
    resolve_settings,
    ship_key_files,
    wanted_triggers,
    zip_b64,
)

ROOT = Path(__file__).resolve().parents[1]
FAILED = {"CreateFailed", "UpdateFailed", "PublishFailed", "DeleteFailed"}


class DeployError(Exception):
    """SCF reports a change failed, or it did not finish in time."""


class Api:
    """SCF actions through the SDK's generic JSON call, or printed (dry run)."""

    def __init__(
        self,
        region: str,
        endpoint: str | None,
        protocol: str,
        dry_run: bool,
        poll_seconds: float = 2.0,
        wait_seconds: float = 600.0,
    ) -> None:
        self.dry_run = dry_run
        self.poll_seconds, self.wait_seconds = poll_seconds, wait_seconds
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.client = None if dry_run else _client(region, endpoint, protocol)

    def __call__(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        print(f"  {action} {json.dumps(masked(params), ensure_ascii=False)}")
        self.calls.append((action, params))
        if self.client is None:
            return {}
        answer: dict[str, Any] = self.client.call_json(action, params)["Response"]
        return answer

    def wait_active(self, action: str, params: dict[str, Any], what: str) -> None:
        """Poll `action` (GetFunction, GetLayerVersion) until its Status is Active."""
        if self.dry_run:
            return
        deadline = time.monotonic() + self.wait_seconds
        while True:
            answer = self.client.call_json(action, params)["Response"]  # type: ignore[union-attr]
            status = answer.get("Status")
            if status == "Active":
                return
            if status in FAILED:
                reasons = answer.get("StatusReasons") or answer.get("StatusDesc") or ""
                raise DeployError(f"{what}: {status} {json.dumps(reasons, ensure_ascii=False)}")
            if time.monotonic() > deadline:
                raise DeployError(f"{what}: still {status} after {self.wait_seconds:.0f} s")
            time.sleep(self.poll_seconds)


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


def publish_layers(api: Api, deployment: Deployment, dist: Path) -> dict[str, int]:
    """Publish every layer a function names; returns the versions to bind."""
    versions = {}
    for name in deployment.layer_names:
        answer = api(
            "PublishLayerVersion",
            {
                "LayerName": name,
                "CompatibleRuntimes": [deployment.runtime],
                "Content": {"ZipFile": zip_b64(dist / LAYER_ZIPS[name])},
                "Description": f"retail: {LAYER_ZIPS[name]}",
            },
        )
        versions[name] = int(answer.get("LayerVersion", 0))
        api.wait_active(
            "GetLayerVersion",
            {"LayerName": name, "LayerVersion": versions[name]},
            f"layer {name} version {versions[name]}",
        )
    return versions


def publish_keys(api: Api, deployment: Deployment, keys_zip: str | None) -> dict[str, int]:
    """The WeChat Pay key files, in a layer of their own (never in a code package)."""
    if keys_zip is None:
        return {}
    answer = api(
        "PublishLayerVersion",
        {
            "LayerName": KEYS_LAYER,
            "CompatibleRuntimes": [deployment.runtime],
            "Content": {"ZipFile": keys_zip},
            "Description": "retail: WeChat Pay key files (the settings name /opt/keys/...)",
        },
    )
    version = int(answer.get("LayerVersion", 0))
    api.wait_active(
        "GetLayerVersion", {"LayerName": KEYS_LAYER, "LayerVersion": version}, KEYS_LAYER
    )
    return {KEYS_LAYER: version}


def deploy(api: Api, deployment: Deployment, dist: Path, context: dict[str, Any]) -> None:
    versions = publish_layers(api, deployment, dist)
    versions.update(publish_keys(api, deployment, context["keys_zip"]))
    total = len(deployment.functions)
    for number, spec in enumerate(deployment.functions.values(), start=1):
        print(f"[{number}/{total}] {spec.name}", flush=True)
        settings = {
            "FunctionName": spec.name,
            "Namespace": context["namespace"],
            "MemorySize": spec.memory,
            "Timeout": spec.timeout,
            "Runtime": deployment.runtime,
            "Environment": {"Variables": context["settings"][spec.key]},
            "Layers": [
                {"LayerName": n, "LayerVersion": versions[n]}
                for n in [*spec.layers, *([KEYS_LAYER] if spec.key in context["keyed"] else [])]
            ],
            "Description": spec.description[:1000],
        }
        _put_function(api, spec, settings, zip_b64(dist / "functions" / f"{spec.key}.zip"))
        _triggers(api, deployment, spec, context["namespace"])


def _exists(api: Api, spec: FunctionPlan, namespace: str) -> bool:
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    try:
        api("GetFunction", {"FunctionName": spec.name, "Namespace": namespace})
    except TencentCloudSDKException as exc:
        if not str(exc.code).startswith("ResourceNotFound"):
            raise
        return False
    return True


def _put_function(api: Api, spec: FunctionPlan, settings: dict[str, Any], code: str) -> None:
    namespace = settings["Namespace"]
    function = {"FunctionName": spec.name, "Namespace": namespace}
    if not api.dry_run and _exists(api, spec, namespace):
        api.wait_active("GetFunction", function, spec.name)  # a change still under way
        api("UpdateFunctionCode", {**function, "Handler": spec.handler, "ZipFile": code})
        api.wait_active("GetFunction", function, spec.name)
        api("UpdateFunctionConfiguration", settings)
    else:
        api("CreateFunction", {**settings, "Handler": spec.handler, "Code": {"ZipFile": code}})
    api.wait_active("GetFunction", function, spec.name)


def _triggers(api: Api, deployment: Deployment, spec: FunctionPlan, namespace: str) -> None:
    wanted = wanted_triggers(deployment, spec.key)
    existing: dict[str, dict[str, Any]] = {}
    if wanted and not api.dry_run:
        listed = api("ListTriggers", {"FunctionName": spec.name, "Namespace": namespace})
        existing = {t.get("TriggerName"): t for t in listed.get("Triggers", [])}
    for trigger, kind, desc, qualifier in wanted:
        params = {
            "FunctionName": spec.name,
            "Namespace": namespace,
            "TriggerName": trigger,
            "Type": kind,
            "TriggerDesc": desc,
            "Qualifier": qualifier,
            "Enable": "OPEN",
        }
        found = existing.get(trigger)
        if found is None:
            api("CreateTrigger", params)
        elif found.get("TriggerDesc") == desc:
            continue
        elif kind == "timer":
            api("UpdateTrigger", params)
        else:
            print(
                f"  ! {spec.name}: function URL {trigger} differs from serverless.yml; "
                "delete it in the SCF console and deploy again (its address will change)"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, call nothing")
    parser.add_argument("--config", type=Path, default=ROOT / "serverless.yml")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--namespace", help="SCF namespace: the CloudBase env id (default ${env:CLOUDBASE_ENV_ID})"
    )
    parser.add_argument("--region")
    parser.add_argument("--endpoint")
    parser.add_argument("--protocol", default="https", choices=["https", "http"])
    parser.add_argument(
        "--poll-seconds", type=float, default=2.0, help="between status checks (default 2)"
    )
    parser.add_argument(
        "--wait-seconds",
        type=float,
        default=600.0,
        help="how long one change may take to become Active (default 600)",
    )
    args = parser.parse_args()
    deployment = read_config(args.config)
    shell = dict(os.environ)
    try:
        context = {
            "namespace": resolve_namespace(deployment, shell, args.namespace),
            "settings": resolve_settings(deployment, shell),
        }
        context["keys_zip"], context["keyed"] = ship_key_files(context["settings"])
    except PlanError as exc:
        print(f"deploy.py: {exc}", file=sys.stderr)
        return 2
    for name in deployment.layer_names:
        if not (args.dist / LAYER_ZIPS[name]).exists():
            raise SystemExit(f"no {args.dist / LAYER_ZIPS[name]}: run `make package` first")
    api = Api(
        args.region or deployment.region,
        args.endpoint,
        args.protocol,
        args.dry_run,
        args.poll_seconds,
        args.wait_seconds,
    )
    print(f"namespace {context['namespace']}, {len(deployment.functions)} functions")
    try:
        deploy(api, deployment, args.dist, context)
    except DeployError as exc:
        print(f"deploy.py: {exc}", file=sys.stderr)
        return 1
    print(f"{len(api.calls)} calls {'planned' if args.dry_run else 'made'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
