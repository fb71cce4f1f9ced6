"""infra/cloudbaserc.json: only keys the CloudBase CLI documents, the same functions, settings
and timers as serverless.yml, and timeouts within CloudBase's limit."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RC = json.loads((ROOT / "infra" / "cloudbaserc.json").read_text(encoding="utf-8"))
SCHEMA = json.loads((ROOT / "infra" / "cloudbaserc.schema.json").read_text(encoding="utf-8"))
INPUTS = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))["inputs"]


def problems(document: dict) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)]


def test_cloudbaserc_uses_only_documented_keys():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert problems(RC) == []


@pytest.mark.parametrize(
    ("key", "value"), [("layers", [{"name": "retail-layer", "version": 1}]), ("timeout", 600)]
)
def test_undocumented_keys_and_timeouts_over_cloudbases_limit_are_refused(key, value):
    document = copy.deepcopy(RC)
    document["functions"][0][key] = value
    assert problems(document)


def test_cloudbaserc_deploys_the_same_functions_settings_and_timers():
    assert [f["name"] for f in RC["functions"]] == list(INPUTS["functions"])
    for function in RC["functions"]:
        spec = INPUTS["functions"][function["name"]]
        assert set(function["envVariables"]) == {e["key"] for e in spec["environments"]}
        assert function["timeout"] == spec["timeout"] and function["runtime"] == INPUTS["runtime"]
    timers = {
        (t["function"], t["parameters"]["cronExpression"])
        for t in INPUTS["triggers"]
        if t["type"] == "timer"
    }
    declared = {(f["name"], t["config"]) for f in RC["functions"] for t in f.get("triggers", [])}
    assert declared == timers


def test_every_timeout_fits_cloudbase_so_one_file_serves_both_paths():
    assert max(spec["timeout"] for spec in INPUTS["functions"].values()) <= 60


def test_a_config_update_from_cloudbaserc_keeps_the_key_files_where_deploy_put_them():
    """scripts/deploy.py ships the WeChat Pay key files in retail-keys-layer and points the
    settings at /opt/keys/<setting>.pem; a CloudBase CLI config update naming the deploying
    machine's paths instead would leave every function without its keys."""
    for function in RC["functions"]:
        for name in ("WECHATPAY_PRIVATE_KEY_FILE", "WECHATPAY_PUBLIC_KEY_FILE"):
            assert function["envVariables"][name] == f"/opt/keys/{name.lower()}.pem"
