"""serverless.yml against a schema written from the multi-scf component's documented inputs
(infra/serverless.schema.json), and scripts/deploy.py's plan against the same file."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from retail.common.production import PRODUCTION_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from deploy.plan import read_config, resolve_settings, wanted_triggers  # noqa: E402

SCHEMA = json.loads((ROOT / "infra" / "serverless.schema.json").read_text(encoding="utf-8"))
CONFIG = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))
INPUTS = CONFIG["inputs"]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/index.py"))
WEBHOOKS = {
    "payment_notify",
    "refund_notify",
    "delivery_notify",
    "platform_event",
    "transfer_notify",
}


def problems(document: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_serverless_yml_matches_the_component_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert problems(CONFIG) == []


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ((), "provider"),
        (("inputs",), "environment"),  # read by nothing in multi-scf 0.3.14 (docs/decisions/0008)
        (("inputs",), "memorySize"),  # settings live per function
        (("inputs", "functions", "order_place"), "environment"),
        (("inputs", "functions", "order_place"), "timeouts"),
    ],
)
def test_a_key_nothing_reads_is_an_error(where, key):
    document = copy.deepcopy(CONFIG)
    target = document
    for step in where:
        target = target[step]
    target[key] = []
    assert any("Additional properties" in p for p in problems(document)), key


@pytest.mark.parametrize("setting", ["environments", "layers", "memorySize", "timeout"])
def test_a_function_without_its_settings_is_an_error(setting):
    document = copy.deepcopy(CONFIG)
    del document["inputs"]["functions"]["user_me"][setting]
    assert any(f"'{setting}' is a required property" in p for p in problems(document))


def test_every_function_folder_is_declared_under_its_own_name():
    assert sorted(INPUTS["functions"]) == FUNCTIONS
    for key, spec in INPUTS["functions"].items():
        assert spec["name"] == key and spec["src"] == f"./dist/functions/{key}"


def test_every_trigger_names_a_declared_function_and_every_name_is_unique():
    names = [t["parameters"]["name"] for t in INPUTS["triggers"]]
    assert len(names) == len(set(names))
    for trigger in INPUTS["triggers"]:
        assert trigger["function"] in INPUTS["functions"], trigger


def test_webhooks_and_the_functions_the_console_calls_have_function_urls():
    console = (ROOT / "console" / "app.js").read_text(encoding="utf-8")
    called = set(re.findall(r'\bcall\("([a-z_]+)"', console))
    assert "operator_login" in called and "analytics_sales" in called
    urls = {t["function"] for t in INPUTS["triggers"] if t["type"] == "http"}
    assert urls == WEBHOOKS | called


def test_every_function_carries_exactly_the_production_settings():
    wanted = {"RETAIL_ENV"} | {r.name for r in PRODUCTION_SETTINGS}
    for key, spec in INPUTS["functions"].items():
        keys = [item["key"] for item in spec["environments"]]
        assert sorted(keys) == sorted(wanted), key
        assert {"key": "RETAIL_ENV", "value": "prod"} in spec["environments"]


def component_view(inputs: dict) -> dict[str, dict]:
    """Each function as multi-scf 0.3.14's formatInputs builds it (src/formatter.ts): every
    shared input under the function's own keys, `environments` turned into variables."""
    common = {k: v for k, v in inputs.items() if k not in ("src", "functions", "triggers")}
    view = {}
    for key, func in inputs["functions"].items():
        merged = {**copy.deepcopy(common), **func}
        merged["variables"] = {e["key"]: e["value"] for e in merged.pop("environments", [])}
        view[key] = merged
    return view


def test_the_deploy_plan_agrees_with_what_the_component_reads():
    plan = read_config(ROOT / "serverless.yml")
    shell = {r.name: f"v-{r.name}" for r in PRODUCTION_SETTINGS}
    settings = resolve_settings(plan, shell)
    component = component_view(INPUTS)
    assert sorted(plan.functions) == sorted(component)
    for key, spec in plan.functions.items():
        seen = component[key]
        assert (spec.name, spec.handler) == (seen["name"], seen["handler"])
        assert (spec.memory, spec.timeout) == (seen["memorySize"], seen["timeout"])
        assert spec.layers == [layer["name"] for layer in seen["layers"]]
        expected = {
            k: (shell[v[6:-1]] if v.startswith("${env:") else v)
            for k, v in seen["variables"].items()
        }
        assert {v["Key"]: v["Value"] for v in settings[key]} == expected
        assert plan.runtime == seen["runtime"] == "Python3.10"
        triggers = {name for name, *_ in wanted_triggers(plan, key)}
        assert triggers == {
            t["parameters"]["name"] for t in INPUTS["triggers"] if t["function"] == key
        }


def test_the_plan_refuses_the_test_only_embedded_store_switch():
    plan = read_config(ROOT / "serverless.yml")
    shell = {r.name: f"v-{r.name}" for r in PRODUCTION_SETTINGS}
    plan.functions["user_me"].environment.append(
        {"key": "RETAIL_ALLOW_EMBEDDED_STORE", "value": "yes"}
    )
    with pytest.raises(SystemExit, match="RETAIL_ALLOW_EMBEDDED_STORE is for tests only"):
        resolve_settings(plan, shell)


def test_a_placing_older_than_the_placing_limit_has_no_live_call_behind_it():
    """orders.reserving finishes a RESERVING order for a retry once PLACING_LIMIT has passed,
    and order_repair once its grace has: both longer than order_place may run."""
    from retail.common.settings import Settings
    from retail.orders.reserving import PLACING_LIMIT

    runs = INPUTS["functions"]["order_place"]["timeout"]
    assert runs < PLACING_LIMIT.total_seconds()
    assert runs < Settings.model_fields["RETAIL_REPAIR_GRACE_SECONDS"].default
