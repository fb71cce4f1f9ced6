"""The architecture a newcomer reads from the tree, kept true by tests."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted((ROOT / "functions").glob("*/index.py"))
VERB_ONLY = {"track", "recommend"}  # named so by the data-loop issue (#7) the app calls them by
DOMAINS = {
    "retail.users",
    "retail.catalog",
    "retail.stores",
    "retail.inventory",
    "retail.cart",
    "retail.orders",
    "retail.payments",
    "retail.coupons",
    "retail.referral",
    "retail.campaigns",
    "retail.groupbuy",
    "retail.settlement",
    "retail.operators",
    "retail.consent",
    "retail.risk",
    "retail.analytics",
    "retail.recommend",
    "retail.reviews",
    "retail.feedback",
    "retail.ads",
    "retail.experiments",
    "retail.privacy",
    "retail.content",
    "retail.notices",
    "retail.wechat_events",
}
HEAVY = ("boto3", "botocore", "tencentcloud", "gateway", "mongomock", "moto")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", FUNCTIONS, ids=[p.parent.name for p in FUNCTIONS])
def test_function_is_thin_and_imports_only_runtime_and_domain(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) <= 30
    assert _imports(path) <= {"retail.core"} | DOMAINS
    name = path.parent.name
    assert (ROOT / "tests" / "events" / f"{name}.json").exists(), (
        "every function has a sample event"
    )
    assert "_" in name or name in VERB_ONLY, "functions are named <noun>_<verb>"


def test_importing_a_function_pulls_no_heavy_or_dev_module():
    probe = (
        "import importlib.util, json, sys\n"
        f"paths = {[str(p) for p in FUNCTIONS]!r}\n"
        "for i, p in enumerate(paths):\n"
        "    spec = importlib.util.spec_from_file_location(f'f{i}', p)\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]


def test_schemas_match_the_code():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    errors = json.loads((ROOT / "schemas" / "errors.json").read_text())
    assert {c["code"] for c in errors["codes"]} >= {"INVALID_ARGUMENT", "NOT_FOUND", "OUT_OF_STOCK"}


STUBS = sorted((ROOT / "layers" / "retail" / "retail").glob("*/__init__.pyi"))


@pytest.mark.parametrize("stub", STUBS, ids=[s.parent.name for s in STUBS])
def test_a_lazy_package_exports_every_name_its_stub_declares(stub):
    """A package loads a submodule only when one of its names is used (lazy_loader reads the
    stub); a name the stub declares that its submodule lacks would fail only when called. The
    stub is read in the locale's encoding, not UTF-8: it must be ASCII to import everywhere."""
    assert stub.read_bytes().isascii(), "the package's docstring belongs in its __init__.py"
    declared = next(
        ast.literal_eval(node.value)
        for node in ast.parse(stub.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__"
    )
    probe = (
        "import importlib, json\n"
        f"package = importlib.import_module('retail.{stub.parent.name}')\n"
        "print(json.dumps({'all': package.__all__,"
        " 'missing': [n for n in package.__all__ if getattr(package, n, None) is None]}))\n"
    )
    found = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout
    )
    assert sorted(found["all"]) == sorted(declared)
    assert found["missing"] == []


def test_a_function_loads_only_the_modules_it_uses():
    """Cold start: reading an order loads the order queries, not placing, cancelling, paying or
    the catalogue (before the packages were lazy it loaded 76 of the layer's modules)."""
    probe = (
        "import importlib.util, json, sys\n"
        f"path = {str(ROOT / 'functions' / 'order_get' / 'index.py')!r}\n"
        "spec = importlib.util.spec_from_file_location('f', path)\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    lazy = {k: v for k, v in os.environ.items() if k != "EAGER_IMPORT"}  # lazy_loader's off switch
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=lazy
        ).stdout
    )
    assert "retail.orders.queries" in loaded
    unused = ("retail.orders.place", "retail.orders.cancel", "retail.payments", "retail.catalog")
    assert not [m for m in loaded if m.startswith(unused)]
