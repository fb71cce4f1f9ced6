"""scripts/create_operator.py as an operator runs it: it says whether it created an account or
reset one, and refuses a merchant the store does not have or a missing password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(
    db_uri: str, *args: str, password: str = "a-long-password-1\n"
) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "RETAIL_ENV": "dev", "RETAIL_DB_URI": db_uri}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "create_operator.py"), *args],
        input=password,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_says_created_then_reset_and_refuses_what_cannot_work(seeded, isolated_env):
    created = run(isolated_env, "ops1", "admin")
    assert created.returncode == 0 and created.stdout.strip().endswith("created")
    reset = run(isolated_env, "ops1", "service")
    assert reset.returncode == 0 and "reset" in reset.stdout
    unknown = run(isolated_env, "m1", "merchant:m-nope")
    assert unknown.returncode == 2 and "no merchant m-nope" in unknown.stderr
    assert seeded.operators.find_one({"_id": "m1"}) is None
    empty = run(isolated_env, "ops2", "admin", password="")
    assert empty.returncode == 2 and "no password given" in empty.stderr
