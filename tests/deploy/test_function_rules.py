"""CloudBase's function security rules keep clients away from timers, webhooks, operator
functions and the operator sign-in (infra/cloudbase-function-rules.json, made by
scripts/cloudbase_rules.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "infra" / "cloudbase-function-rules.json"


def _auth(name: str) -> str:
    schema = json.loads((ROOT / "schemas" / "functions" / f"{name}.json").read_text())
    return str(schema["auth"])


def test_the_rules_file_matches_the_functions_auth():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cloudbase_rules.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_clients_may_invoke_only_user_functions():
    rules = json.loads(RULES.read_text(encoding="utf-8"))
    assert rules.pop("*") == {"invoke": "auth != null"}  # CloudBase requires the wildcard
    functions = sorted(p.parent.name for p in (ROOT / "functions").glob("*/index.py"))
    closed = {
        name for name in functions if _auth(name) in {"timer", "webhook", "sign_in", "operator"}
    }
    assert set(rules) == closed
    assert all(rule == {"invoke": False} for rule in rules.values())
    assert {"settlement_run", "order_expire", "payment_notify", "order_search"} <= closed
    assert "operator_login" in closed  # the console signs in through its function URL
    assert "order_place" not in rules and "catalog_browse" not in rules
