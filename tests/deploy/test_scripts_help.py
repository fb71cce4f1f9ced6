"""Every script answers --help with its usage and does nothing else (no store opened, no
file written, nothing deployed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(  # every file meant to be run (modules under scripts/ have no __main__)
    str(p.relative_to(ROOT))
    for p in [*ROOT.glob("scripts/*.py"), *ROOT.glob("bench/*.py")]
    if 'if __name__ == "__main__":' in p.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_answers_help_without_running(script, tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "RETAIL_ENV": "dev",
        "RETAIL_DB_URI": f"sqlite:///{tmp_path}/must-not-exist.db",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / script), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:"), result.stdout[:200]
    assert list(tmp_path.iterdir()) == [], "--help wrote files"
