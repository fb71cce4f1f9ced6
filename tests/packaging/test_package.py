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

ROOT = Path(__file__).resolve().parents[2]
WHEELS = ROOT / ".cache" / "wheels"
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/index.py"))
SERVERLESS = yaml.safe_load((ROOT / "serverless.yml").read_text(encoding="utf-8"))["inputs"]
SCF_PYTHON = (3, 10)
SCF_PLATFORMS = ["manylinux2014_x86_64", "manylinux_2_17_x86_64", "linux_x86_64"]

RUN_ONE = """
import json, sys
sys.path[:0] = [{user!r}, {opt!r}]
import index, retail
assert retail.__file__.startswith({opt!r}), retail.__file__
event = json.loads(sys.argv[1])
context = {{"request_id": "pkg", "function_name": sys.argv[2], "RETAIL_DEV_OPERATOR": "pkg:admin",
            "environment": json.dumps({{"WX_CONTEXT_KEYS": "WX_OPENID", "WX_OPENID": "o-pkg"}})}}
answer = index.main_handler(event, context)
print("ANSWER " + (answer["body"] if "statusCode" in answer else json.dumps(answer)))
"""


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


@pytest.fixture(scope="module")
def scf_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ built for this Python, unzipped into /var/user and /opt as SCF does."""
    out = tmp_path_factory.mktemp("dist")
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
def test_each_packaged_function_imports_and_answers_in_a_clean_interpreter(
    scf_root, tmp_path, name
):
    layers = [layer["name"] for layer in SERVERLESS["functions"][name]["layers"]]
    user = scf_root / "var" / name
    opt = scf_root / ("opt-cos" if "retail-cos-layer" in layers else "opt")
    event = json.loads((ROOT / "tests" / "events" / f"{name}.json").read_text(encoding="utf-8"))
    env = {
        "PATH": os.environ["PATH"],
        "RETAIL_ENV": "dev",
        "RETAIL_DB_URI": f"sqlite:///{tmp_path}/scf.db",
    }
    # -S: no site-packages, -E: no PYTHON* variables; the repository is not the working dir.
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-E",
            "-c",
            RUN_ONE.format(user=str(user), opt=str(opt)),
            json.dumps(event),
            name,
        ],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.split("ANSWER ", 1)[1])
    # It ran and answered in the contract (a signed webhook refuses the sample's signature).
    assert answer["code"] in {"OK", "NOT_FOUND", "UNAUTHENTICATED"}, answer


def test_layer_for_scf_carries_only_wheels_its_python_accepts(tmp_path):
    out = tmp_path / "dist"
    _package(out, "--wheels", str(_wheelhouse("target")), "--python-version", "3.10")
    accepted = set(cpython_tags(SCF_PYTHON, platforms=SCF_PLATFORMS))
    accepted |= set(compatible_tags(SCF_PYTHON, "cp310", platforms=SCF_PLATFORMS))
    wheels = (out / "layer" / "WHEELS.txt").read_text().split()
    assert any(w.startswith("pydantic_core") for w in wheels)
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
