"""What packages is what works: build the zips, lay them out as SCF does, import and run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import parse_wheel_filename

from tests.scf_python import NO_SCF_INTERPRETER, SCF_INTERPRETER, packaged_answers

ROOT = Path(__file__).resolve().parents[2]
WHEELS = ROOT / ".cache" / "wheels"
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/index.py"))
STUBS = sorted((ROOT / "layers" / "retail" / "retail").glob("*/__init__.pyi"))
SERVERLESS = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))["inputs"]
SCF_PYTHON = (3, 10)
SCF_PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "linux_x86_64"]

PLATFORM_EVENTS = ROOT / "tests" / "events" / "platform"
DEVKIT = ROOT / "devkit"  # development's store and WeChat Pay, beside the layer (retail_dev)


def _golden(name: str) -> dict:
    doc: dict = json.loads((PLATFORM_EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    doc.pop("_source")
    return doc


def _calls(name: str) -> list[list[dict]]:
    """The function's own sample with a test caller, then the platform's documented event for
    its trigger with the documented context (tests/events/platform/)."""
    sample = json.loads((ROOT / "tests" / "events" / f"{name}.json").read_text(encoding="utf-8"))
    test_context = {
        "request_id": "pkg",
        "function_name": name,
        "RETAIL_DEV_OPERATOR": "pkg:admin",
        "environment": json.dumps({"WX_CONTEXT_KEYS": "WX_OPENID", "WX_OPENID": "o-pkg"}),
    }
    calls = [[sample, test_context]]
    if "Type" in sample:  # a timer: SCF's documented event, its free text replaced by ours
        timer = {**_golden("scf_timer_event"), "Message": sample.get("Message", "")}
        calls += [[timer, _golden("scf_context")], [timer, _golden("cloudbase_timer_context")]]
    elif name.endswith("_notify"):
        calls.append([_golden("function_url_event"), _golden("scf_context")])
    else:
        event = {**sample, **_golden("cloudbase_call_event")}
        calls.append([event, _golden("cloudbase_call_context_json")])
    return calls


def _wheelhouse(kind: str) -> Path:
    folder = WHEELS / kind
    if not any(folder.glob("*.whl")):
        pytest.fail(f"no wheels in {folder}: run `make test`, which downloads them first")
    return folder


def _package(out: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--out", str(out), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_handlers_run_in_scf_pythons_version():
    if SCF_INTERPRETER is None:
        pytest.skip(f"packaged handlers run in this Python instead of 3.10: {NO_SCF_INTERPRETER}")
    assert SERVERLESS["runtime"] == "Python3.10"


@pytest.fixture(scope="module")
def scf_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ built as SCF receives it (Python 3.10 wheels, when a 3.10 interpreter is here to
    run them; else for this Python), unzipped into /var/user and /opt as SCF does."""
    out = tmp_path_factory.mktemp("dist")
    if SCF_INTERPRETER:
        _package(out, "--wheels", str(_wheelhouse("target")), "--python-version", "3.10")
    else:
        _package(out, "--wheels", str(_wheelhouse("local")), "--local")
    root = tmp_path_factory.mktemp("scf")
    for opt, layers in (("opt", ["layer.zip"]), ("opt-cos", ["layer.zip", "layer-cos.zip"])):
        for layer_zip in layers:  # SCF merges a function's layers into /opt
            with zipfile.ZipFile(out / layer_zip) as layer:
                layer.extractall(root / opt)
    for name in FUNCTIONS:
        with zipfile.ZipFile(out / "functions" / f"{name}.zip") as function:
            function.extractall(root / "var" / name)
    return root


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_packaged_function_answers_its_sample_and_the_documented_platform_event(
    scf_root, tmp_path, name
):
    layers = [layer["name"] for layer in SERVERLESS["functions"][name]["layers"]]
    user = scf_root / "var" / name
    opt = scf_root / ("opt-cos" if "retail-cos-layer" in layers else "opt")
    env = {
        "PATH": os.environ["PATH"],
        "RETAIL_ENV": "dev",
        "RETAIL_DB_URI": f"sqlite:///{tmp_path}/scf.db",
    }
    answers = [
        json.loads(a["body"]) if "statusCode" in a else a
        for a in packaged_answers(user, opt, _calls(name), env)
    ]
    # Each ran and answered in the contract (a signed webhook refuses an unsigned request).
    # (A preview with an address asks a buyer who has not consented to consent first; a
    # withdrawal by an account made by this very call waits until it is older.)
    for answer in answers:
        reason = (answer.get("details") or {}).get("reason")
        consent_first = reason in ("CONSENT_REQUIRED", "NEW_ACCOUNT")
        assert answer["code"] in {"OK", "NOT_FOUND", "UNAUTHENTICATED"} or consent_first, answer
    if name.endswith("_notify"):
        assert "signature" in answers[-1]["message"]  # read as an HTTP call, then refused
    elif len(answers) == 3:
        assert [a["code"] for a in answers[1:]] == ["OK", "OK"]  # the documented timer runs


def test_the_deployed_layer_carries_no_development_code(scf_root):
    """The embedded engine and the local WeChat Pay run in development only: the layer holds
    `retail` without them, and a function that is given a development URI says so."""
    shipped = {p.relative_to(scf_root / "opt").as_posix() for p in (scf_root / "opt").rglob("*.py")}
    assert "retail/store/__init__.py" in shipped
    assert not [p for p in shipped if p.startswith("retail_dev/")]
    assert not [p for p in shipped if "embedded" in p or "sandbox" in p], shipped
    kit = [p for p in DEVKIT.rglob("*.py") if "__pycache__" not in p.parts]
    assert len(kit) >= 19  # the engine's modules and the WeChat Pay stand-in, all left out
    probe = subprocess.run(
        [
            SCF_INTERPRETER or sys.executable,
            "-S",
            "-E",
            "-c",
            f"import sys; sys.path[:0] = [{str(scf_root / 'opt')!r}]\n"
            "from retail.store import connect\n"
            "try:\n    connect('sqlite:///x.db')\nexcept ValueError as exc:\n    print(exc)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "not deployed" in probe.stdout, probe.stderr


def test_layer_for_scf_carries_only_wheels_its_python_accepts(tmp_path):
    out = tmp_path / "dist"
    _package(out, "--wheels", str(_wheelhouse("target")), "--python-version", "3.10")
    accepted = set(cpython_tags(SCF_PYTHON, platforms=SCF_PLATFORMS))
    accepted |= set(compatible_tags(SCF_PYTHON, "cp310", platforms=SCF_PLATFORMS))
    wheels = (out / "layer" / "WHEELS.txt").read_text().split()
    assert any(w.startswith("pydantic_core") for w in wheels)
    assert not any(w.startswith(("boto3-", "botocore-")) for w in wheels)  # retail-cos-layer's
    for wheel in wheels:
        _, _, _, tags = parse_wheel_filename(wheel)
        assert tags & accepted, f"{wheel} cannot run on SCF's Python 3.10"
    with zipfile.ZipFile(out / "layer.zip") as layer:
        names = layer.namelist()
    assert "retail/core/runtime.py" in names and any(n.startswith("pydantic_core/") for n in names)
    assert not any("__pycache__" in n or n.startswith(("tests/", "scripts/")) for n in names)
    assert not any(n.startswith(("boto3/", "botocore/")) for n in names)  # retail-cos-layer's
    with zipfile.ZipFile(out / "layer-cos.zip") as layer:
        assert any(n.startswith("botocore/") for n in layer.namelist())
    # deploy.py uploads every zip as Code.ZipFile, documented up to 50 MB (decision 0008)
    uploads = [out / "layer.zip", out / "layer-cos.zip", *(out / "functions").glob("*.zip")]
    assert max(zip_file.stat().st_size for zip_file in uploads) < 50 * 1024 * 1024
    assert names.count("lazy_loader/__init__.py") == 1  # the domain packages' lazy imports
    stubs = {f"retail/{s.parent.name}/__init__.pyi" for s in STUBS}
    assert stubs and stubs <= set(names)  # lazy_loader reads them at import


def test_serverless_yml_lists_exactly_the_functions_folders():
    config = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))
    declared = config["inputs"]["functions"]
    assert sorted(declared) == FUNCTIONS
    for key, spec in declared.items():
        assert spec["name"] == key and spec["handler"] == "index.main_handler"
        assert spec["src"] == f"./dist/functions/{key}"
    assert config["inputs"]["runtime"] == "Python3.10"
    for trigger in config["inputs"].get("triggers") or []:
        assert trigger["function"] in declared
        if trigger["type"] == "timer":
            assert len(trigger["parameters"]["cronExpression"].split()) == 7
