"""The mini-program's Node tools (tsc, jest), installed by `make miniprogram` (npm ci)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram"
BIN = MINIPROGRAM / "node_modules" / ".bin"


def node_tool(name: str) -> Path:
    """The pinned tool from miniprogram/node_modules, or a skip saying how to get it."""
    tool = BIN / name
    if shutil.which("node") is None or not tool.exists():
        pytest.skip(f"{name} is not installed: run `make miniprogram` (npm ci in miniprogram/)")
    return tool


def run_tool(args: list[str], env: dict[str, str] | None = None, timeout: int = 300) -> str:
    """Run it in miniprogram/; its output, or a failure showing it."""
    done = subprocess.run(
        args, cwd=MINIPROGRAM, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
    return done.stdout + done.stderr
